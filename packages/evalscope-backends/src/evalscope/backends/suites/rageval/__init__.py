"""RAGEval: MTEB/CMTEB, RAGAS and CLIP benchmark (`eval_backend: RAGEval`).

`suite.RAGEvalSuite` is the adapter (main environment); `*_worker` modules run inside the tool's
environment. Nothing is imported here: workers import this package inside other environments.
"""
