"""A small corpus with known content for the shard and Dask tests.

Document ``dNNN`` (N = 1 … 44) is the concatenation of the sentences in :data:`SENTENCES` whose bit
is set in N, repeated ``1 + N % 3`` times; ``d000`` is punctuation only (no tokens at all). So
every document is different, and what each contains is known by construction (e.g. d033 =
0b100001: sentences 0 and 5, once).
"""

from __future__ import annotations

SENTENCES = [
    "国务院决定淘汰落后产能，关停一批小钢厂。",          # 国务院 决定 淘汰落后产能 关停 钢厂
    "对高新技术企业实行税收优惠，鼓励企业自主创新。",
    "加强市场监管，依法查处违法行为，规范市场秩序。",
    "各地区要制定生产计划，下达产量指标。",
    "设立产业投资基金，支持重点项目建设。",
    "建立健全质量标准体系，实行许可管理。",              # … 许可 (regulatory, weight 0.5) …
]
N_DOCS = 45


def doc_text(n: int) -> str:
    if n == 0:
        return "。。。"
    return "".join(s for j, s in enumerate(SENTENCES) if n >> j & 1) * (1 + n % 3)


def fill_store(store, n_docs: int = N_DOCS) -> None:
    store.db["documents"].insert_all(
        [{"doc_id": f"d{n:03d}", "source": "test", "title": f"文件{n}", "text": doc_text(n)}
         for n in range(n_docs)], pk="doc_id")
