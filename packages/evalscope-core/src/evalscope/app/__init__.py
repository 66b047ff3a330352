"""The application layer's pieces beside `evalscope.run` and `evalscope.config`: use cases that
read a `TaskConfig` and hand the domain (`evalscope.core`) plain values. Core never imports them."""
