"""Executors: where an evaluation's samples are inferred and reviewed when not in the driver
(`executor: ray`). Each is another runner of `evalscope.core.engine.Engine`."""
