"""Rewrite CSS so each rule applies only under a prefix selector.

qiankun's scoped CSS done on the CSS grammar instead of regexes over whole rules.
"""

from css_scoper._cache import CacheInfo, ScopedCSSCache
from css_scoper._cli import main, scope_css_command
from css_scoper._imports import ImportRule, split_imports, wrap_imported
from css_scoper._scope import GROUPING_AT_RULES, app_prefix, rewrite_urls, scope_css
from css_scoper._style_element import escape_for_style_element

__all__ = [
    "GROUPING_AT_RULES",
    "CacheInfo",
    "ImportRule",
    "ScopedCSSCache",
    "app_prefix",
    "escape_for_style_element",
    "main",
    "rewrite_urls",
    "scope_css",
    "scope_css_command",
    "split_imports",
    "wrap_imported",
]
