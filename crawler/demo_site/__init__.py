"""The offline demo site: the demo corpus served in the real sites' page structures.

``DemoSite(n_documents=600, random_state=0).start()`` serves it on 127.0.0.1 (a free port);
``zhengce demo-site`` runs it from the command line and ``zhengce crawl demo`` crawls it.
"""

from .render import SiteContent
from .server import DemoSite

__all__ = ["DemoSite", "SiteContent"]
