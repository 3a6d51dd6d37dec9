"""Helpers of the coverage tests: a corpus whose 发文字号 series have known gaps."""

from __future__ import annotations

from zhengce.corpus.ingest import SourceRecord, ingest_records
from zhengce.corpus.store import Store

#: (prefix, year) -> serials present; everything between 1 and the highest is expected
SERIES = {("国发", 2001): [1, 2, 3, 5, 6, 9, 10], ("国办发", 2001): [1, 2, 3, 4],
          ("国发", 2002): [2, 3, 7], ("财税", 2003): [1, 4, 5, 6, 8, 12]}
KNOWN_GAPS = {("国发", 2001): [4, 7, 8], ("国办发", 2001): [],
              ("国发", 2002): [1, 4, 5, 6], ("财税", 2003): [2, 3, 7, 9, 10, 11]}
TOPICS = ("出口退税", "农田水利", "高新技术产业", "国有企业改革", "义务教育", "医疗保险",
          "城乡规划", "环境保护", "安全生产", "外商投资", "科技创新", "能源节约")
ISSUERS = {"国发": "国务院", "国办发": "国务院办公厅", "财税": "财政部"}


def numbered_record(source: str, prefix: str, year: int, serial: int) -> SourceRecord:
    number = f"{prefix}〔{year}〕{serial}号"
    # distinct wording per document: near-identical texts would be folded as reposts
    topic = TOPICS[(serial + year) % len(TOPICS)]
    text = (f"{ISSUERS[prefix]}关于第{serial}项工作的通知\n{number}\n各省、自治区、直辖市人民政府："
            f"现就{year}年{topic}第{serial}项有关事项通知如下。" + f"{topic}工作要求第{serial}条。" * serial)
    fields = {"title": f"{ISSUERS[prefix]}关于第{serial}项工作的通知（{year}）", "text": text,
              "doc_number": number, "issuer": ISSUERS[prefix], "issued_date": f"{year}-03-01",
              "level": "central"}
    return SourceRecord(source=source, source_id=f"{prefix}-{year}-{serial}", fields=fields,
                        payload=text.encode("utf-8"), content_type="text/plain")


def build_store(path, series=SERIES, source="fixture") -> None:
    records = [numbered_record(source, prefix, year, serial)
               for (prefix, year), serials in series.items() for serial in serials]
    with Store.open(path) as store:
        ingest_records(store, records, source=source, progress=False, n_jobs=1)
