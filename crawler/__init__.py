"""zhengce.crawler: polite, resumable Scrapy crawls of Chinese government policy sites.

Built-in spiders for the State Council policy library (``govcn``), NDRC, MIIT, SASAC and MOFCOM;
a generic spider driven by declarative YAML site specs (``crawler/specs``); an offline demo site
(``crawler.demo_site``) that serves the demo corpus in the real sites' page structures; and
distributed crawls over Redis (``crawler.distributed``). Everything is stored through the corpus
layer (:class:`corpus.ingest.Ingestor`) by one writer; the crawl state lives in the store.
"""

__all__ = ["cli", "runner", "sitespec", "settings"]
