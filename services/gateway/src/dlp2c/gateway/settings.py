"""The gateway's settings (environment variables with the DLP2C_ prefix)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DLP2C_")

    http_host: str = "127.0.0.1"
    http_port: int = 8080
    max_upload_bytes: int = 100 * 1024 * 1024  # the splitter refuses more anyway
    max_jobs_per_key: int = 8  # queued or running at once, per API key
    max_pending_jobs: int = 2000  # all keys together; above it the gateway answers 503
    retry_after_s: int = 30
    # Where an arXiv id's PDF is fetched from ({id} is replaced); the crawler's tests point it at loopback.
    arxiv_pdf_url: str = "https://arxiv.org/pdf/{id}"
    fetch_timeout_s: float = 60.0
    # A submitted URL that resolves to a private, loopback or link-local address is refused unless this
    # is set (tests, or a lab that mirrors PDFs on its own network).
    allow_private_urls: bool = False
    # The session cookie is sent over HTTPS only (set it behind TLS; off for http://localhost).
    secure_cookies: bool = False
    # The codegen service the editor regenerates code through (gRPC CodegenService).
    codegen_target: str = "127.0.0.1:50061"
    # The built website (npm run build in web/); served at / when the folder exists.
    web_dist: str = ""
