"""vLLM model provider (`model_api: vllm`); imported only when named."""
