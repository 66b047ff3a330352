"""VLMEvalKit (ms-vlmeval) behind `eval_backend: VLMEvalKit`.

`suite.VLMEvalKitSuite` is the adapter (main environment); `worker` runs inside the managed env
`vlmeval` (torch 2.14.1 + torchvision, ~7 GB). Nothing is imported here: the worker imports this
package inside that env.
"""
