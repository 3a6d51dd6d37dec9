"""zhengce spiders: the built-in sites and the generic site-spec spider."""

from .govcn import GovcnSpider
from .spec import SpecSpider
from .trs import MiitSpider, MofcomSpider, NdrcSpider, SasacSpider

BUILTIN_SPIDERS = {cls.name: cls for cls in (GovcnSpider, NdrcSpider, MiitSpider, SasacSpider,
                                             MofcomSpider)}

__all__ = ["BUILTIN_SPIDERS", "GovcnSpider", "NdrcSpider", "MiitSpider", "SasacSpider",
           "MofcomSpider", "SpecSpider"]
