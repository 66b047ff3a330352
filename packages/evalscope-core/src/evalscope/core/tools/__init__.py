"""Tool calling shared by providers and benchmarks: calls written as text (`text_calls`) and the
prompt mode of models whose chat template takes no tools (`prompt_mode`)."""
