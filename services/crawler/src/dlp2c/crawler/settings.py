"""The crawler's settings (environment variables with the DLP2C_ prefix)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class CrawlerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DLP2C_")

    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    # Where a paper's PDF is fetched from; {id} is the versioned id. Empty: the feed's own PDF link.
    arxiv_pdf_url: str = ""
    arxiv_delay_s: float = 3.0  # arXiv asks for one request every three seconds
    arxiv_page_size: int = 100
    fetch_timeout_s: float = 60.0
    max_pdf_bytes: int = 100 * 1024 * 1024
