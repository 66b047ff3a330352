"""BFCL's own AST checker over recorded cases, run in a child process: `python -I -S
reference_worker.py <unpacked wheel root> cases.json verdicts.json`.

Only the unpacked bfcl-eval wheel is on the path (no site-packages at all: its ~30 dependencies are
neither installed nor needed by the checker). The one import that would pull them in, its model
table (`bfcl_eval.constants.model_config`, read only for `underscore_to_dot`), is replaced by a
table that answers True for every model: tools offered with underscores, as our benchmark offers them.
"""

import json
import sys
import types


class _Config:
    underscore_to_dot = True


class _Table(dict):
    def __missing__(self, key):
        return _Config()


def main(root, cases_path, out_path):
    sys.path.insert(0, root)
    stub = types.ModuleType("bfcl_eval.constants.model_config")
    stub.MODEL_CONFIG_MAPPING = _Table()
    sys.modules["bfcl_eval.constants.model_config"] = stub
    from bfcl_eval.constants.enums import Language
    from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker

    languages = {"python": Language.PYTHON, "java": Language.JAVA, "javascript": Language.JAVASCRIPT}
    verdicts = []
    with open(cases_path, encoding="utf-8") as handle:
        cases = json.load(handle)
    for case in cases:
        try:
            result = ast_checker(
                case["functions"],
                case["calls"],
                case["answer"],
                languages[case["language"]],
                case["category"],
                "reference-model",
            )
            verdicts.append({"valid": bool(result["valid"]), "error_type": result.get("error_type", "")})
        except Exception as exc:  # a crash of BFCL's checker is recorded, not hidden
            verdicts.append({"valid": None, "error_type": f"crash: {type(exc).__name__}: {exc}"})
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(verdicts, handle)


if __name__ == "__main__":
    main(*sys.argv[1:4])
