"""The one place that reads the environment (NHSBOT_* variables and `.env`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

BUNDLED_MODEL = "bundled"


class Settings(BaseSettings):
    """Every setting is documented in `.env.example`; names there are NHSBOT_<FIELD>."""

    model_config = SettingsConfigDict(
        env_prefix="NHSBOT_", env_file=".env", extra="ignore", populate_by_name=True
    )

    # Storage and retrieval
    data_dir: Path = Path("data")
    corpus_dir: Path = Path("corpus")
    collection: str = "nhsbot"
    embedding_model: str = BUNDLED_MODEL
    embedding_threads: int = 1
    chroma_host: str = ""
    chroma_port: int = 8000
    sync_seconds: float = 60.0  # with a Chroma server: how often to look for others' writes
    top_k: int = 5
    max_question_chars: int = 1000

    # Answer generation: "extractive" needs no model (see .env.example for the others)
    llm: Literal["extractive", "llamacpp", "openai"] = "extractive"
    llm_model: str = ""  # llamacpp: a .gguf path or "owner/repo:file.gguf"; openai: a model name
    llm_base_url: str = ""
    llm_api_key: SecretStr = SecretStr("")
    llm_timeout_s: float = 60.0
    llm_threads: int = 2  # llama-cpp's own default here is 1
    llm_context: int = 4096
    llm_max_tokens: int = 256
    llm_temperature: float = 0.0

    # Discord
    discord_token: SecretStr = Field(
        SecretStr(""), validation_alias=AliasChoices("NHSBOT_DISCORD_TOKEN", "DISCORD_TOKEN")
    )
    guild_ids: Annotated[list[int], NoDecode] = []
    curator_role: str = "curator"
    cooldown_seconds: float = 10.0
    allow_dms: bool = False
    # Where discord.py connects; empty = the real Discord. Tests point these at a loopback fake.
    discord_api_base: str = ""
    discord_gateway_url: str = ""

    # Keeping sources fresh
    sources_file: Path = Path("sources.toml")
    refresh_minutes: float = 0
    updates_channel: int = 0
    allow_loopback_fetch: bool = False

    # Knowledge gaps: refused and 👎-voted questions, kept redacted (off by default)
    keep_gaps: bool = False
    gaps_days: int = Field(30, ge=1)

    log_level: str = "WARNING"

    @field_validator("guild_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        return value

    @field_validator("llm", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"
