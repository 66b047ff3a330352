"""OpenCompass (ms-opencompass) behind the EvalSuite port: `config` (eval_config schema, shared by
both sides), `suite` (the adapter, main env) and `worker` (runs inside the `opencompass` env)."""
