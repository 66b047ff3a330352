"""The site's words in English and Chinese (`--lang en|zh`)."""

from __future__ import annotations

from collections.abc import Mapping

STRINGS: dict[str, tuple[str, str]] = {
    # key: (en, zh)
    "title": ("evalscope reports", "evalscope 评测报告"),
    "settings": ("Settings", "设置"),
    "outputs": ("Outputs", "输出目录"),
    "stores": ("Stores", "数据库"),
    "reports": ("Reports (run@model)", "报告 (run@model)"),
    "refresh": ("Refresh", "刷新"),
    "load": ("Load", "加载"),
    "loaded": ("Loaded", "已加载"),
    "no_runs": ("No runs found.", "未找到评测结果。"),
    "select_first": ("Select reports in the settings and press Load.", "请在设置中选择报告并点击加载。"),
    "page_model": ("Single model", "单模型"),
    "page_dataset": ("Dataset details", "数据集详情"),
    "page_compare": ("Compare models", "多模型对比"),
    "page_perf": ("Perf runs", "性能测试"),
    "model": ("Model", "模型"),
    "run": ("Run", "运行"),
    "status": ("Status", "状态"),
    "started": ("Started", "开始时间"),
    "duration": ("Duration", "耗时"),
    "samples": ("Samples", "样本数"),
    "scored": ("Scored", "已评分"),
    "errors": ("Errors", "错误"),
    "invalid": ("Judge invalid", "裁判无效"),
    "skipped": ("Skipped", "跳过"),
    "cache_hits": ("Cache hits", "缓存命中"),
    "output_tokens": ("Output tokens", "输出 tokens"),
    "run_metadata": ("Run", "运行信息"),
    "composition": ("Datasets, categories, subsets", "数据集组成"),
    "dataset_scores": ("Dataset scores", "数据集得分"),
    "score_table": ("Score table", "得分表"),
    "task_config": ("Task config", "任务配置"),
    "dataset": ("Dataset", "数据集"),
    "subset": ("Subset", "子集"),
    "all_subsets": ("All subsets", "全部子集"),
    "subset_scores": ("Subset scores", "子集得分"),
    "predictions": ("Predictions", "预测结果"),
    "filter": ("Filter", "筛选"),
    "f_all": ("All", "全部"),
    "f_pass": ("Pass", "通过"),
    "f_fail": ("Fail", "未通过"),
    "f_error": ("Errors", "错误"),
    "threshold": ("Score threshold", "分数阈值"),
    "search": ("Search", "搜索"),
    "prev": ("Previous", "上一页"),
    "next": ("Next", "下一页"),
    "page_of": ("page {page} of {pages} · {total} samples", "第 {page}/{pages} 页 · 共 {total} 个样本"),
    "page_of_items": ("page {page} of {pages} · {total} items", "第 {page}/{pages} 页 · 共 {total} 个题目"),
    "solved_hist": ("Items solved j of {k} times", "每题 {k} 次作答中答对 j 次的题目数"),
    "repeat": ("Repeat", "重复"),
    "prompt": ("Prompt", "输入"),
    "gold": ("Gold", "标准答案"),
    "output": ("Raw output", "模型原始输出"),
    "extracted": ("Extracted answer", "提取的答案"),
    "option_scores": ("Option scores", "选项得分"),
    "score": ("Score", "得分"),
    "judge": ("Judge verdict", "裁判结论"),
    "error": ("Error", "错误"),
    "model_a": ("Model A", "模型 A"),
    "model_b": ("Model B", "模型 B"),
    "radar": ("Scores by dataset", "各数据集得分"),
    "significance": ("Paired significance (B - A)", "配对显著性检验 (B - A)"),
    "side_by_side": ("Answers side by side", "答案对比"),
    "p_all": ("All", "全部"),
    "p_a_right_b_wrong": ("A right / B wrong", "A 对 / B 错"),
    "p_a_wrong_b_right": ("A wrong / B right", "A 错 / B 对"),
    "p_both_right": ("Both right", "都对"),
    "p_both_wrong": ("Both wrong", "都错"),
    "need_two": ("Load at least two reports to compare.", "请至少加载两个报告进行对比。"),
    "no_shared": ("The two runs share no samples of this dataset.", "两次运行在此数据集上没有共同样本。"),
    "perf_runs": ("Perf runs", "性能测试运行"),
    "no_perf": ("No perf runs under the outputs directory.", "输出目录下没有性能测试结果。"),
    "selfcheck": ("Client self-check", "客户端自检"),
    "sc_ok": (
        "The client kept up with its schedule: the numbers describe the server.",
        "客户端跟上了发送计划：数据反映的是服务端。",
    ),
    "sc_bad": (
        "The client limited this run: the numbers describe the client, not only the server.",
        "客户端限制了本次测试：数据反映的是客户端，而不仅是服务端。",
    ),
    "summary": ("Summary", "汇总"),
    "percentiles": ("Percentiles", "分位数"),
    "sweep": ("Sweep", "扫描"),
    "throughput_vs_conc": ("Throughput vs concurrency", "吞吐量 vs 并发"),
    "latency_vs_conc": ("Latency vs concurrency", "延迟 vs 并发"),
    "perf_compare": ("Compare two perf runs", "对比两次性能测试"),
    "export_png": ("PNG", "PNG"),
    "export_html": ("HTML", "HTML"),
    "download_report": ("report JSON", "报告 JSON"),
    "metric": ("Metric", "指标"),
    "num": ("Num", "数量"),
    "not_found": ("Page not found.", "页面不存在。"),
}

LANGS = ("en", "zh")


class Translator:
    """`t(key, **values)`: the site's words, plus those of plug-in pages (`extra`, same shape as STRINGS)."""

    def __init__(self, lang: str = "en", extra: Mapping[str, tuple[str, str]] | None = None) -> None:
        if lang not in LANGS:
            raise ValueError(f"lang {lang!r}: expected one of {', '.join(LANGS)}")
        self.index = LANGS.index(lang)
        self.lang = lang
        self.strings = {**(extra or {}), **STRINGS}

    def __call__(self, key: str, **values: object) -> str:
        pair = self.strings.get(key)
        text = pair[self.index] if pair else key
        return text.format(**values) if values else text
