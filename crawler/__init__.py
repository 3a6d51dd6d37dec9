"""zhengce.crawler: polite, resumable Scrapy crawls of Chinese government policy sites.

Built-in spiders for the State Council policy library (``govcn``), NDRC, MIIT, SASAC and MOFCOM;
a generic spider driven by declarative YAML site specs (``crawler/specs``); an offline demo site
(``crawler.demo_site``) that serves the demo corpus in the real sites' page structures; and
distributed crawls over Redis (``crawler.distributed``). Everything is stored through the corpus
layer (:class:`corpus.ingest.Ingestor`) by one writer; the crawl state lives in the store.
"""

if __name__ != "zhengce.crawler":  # imported as a top-level "crawler" from a source checkout
    raise ImportError(f"import zhengce.crawler, not {__name__}: the layers install under the zhengce "
                      "package (pip install -e . or make install)")

__all__ = ["cli", "runner", "sitespec", "settings"]
