"""Third-party evaluation suites behind the `EvalSuite` port (evalscope.core.suites).

- `envs`: managed virtual environments for suites whose dependencies cannot share the main one
  (`evalscope backend install|list|remove|plan`, cli.py).
- `boundary`: the process-boundary protocol (a JSON request in, our records back as JSON).
- `opencompass`: the OpenCompass adapter (main side) and its worker (runs inside its env).
- `thirdparty`: LongBench-Write and ToolBench-static, run in the main environment.

Nothing here imports a suite at import time; each adapter loads only when its backend is chosen.
"""
