"""Names vulture cannot see used, because a framework calls or reads them by name.

Only such callbacks belong here: anything else vulture reports is dead and goes. vulture
reads this file, it never runs: `_` stands for any object. Run by `make lint`, configured in
pyproject.toml's [tool.vulture].
"""

# bot/fetch/pool.py: the fetch worker's entry point, named in the code string (CHILD) its
# child process runs.
serve
# pydantic reads a settings model's model_config (bot/settings.py). The validators it calls
# are known by their decorators (pyproject.toml).
model_config
# python-telegram-bot calls a BaseRateLimiter's process_request (bot/telegram/limits.py).
_.process_request
# the subscript protocol storage.rows.Row describes, used as row["column"].
__getitem__
# sqlite3 reads a connection's row_factory (storage/sqlite.py).
_.row_factory
# transformers reads config.architectures when the saved model is loaded
# (summarizer/model/packaged.py).
_.architectures
# http.server and socketserver read these class attributes and call these methods (the
# Bot API stand-in and the test pages: tests/botapi_stub.py, hostile_pages.py, test_fetch.py).
daemon_threads
block_on_close
protocol_version
_.close_connection
_.log_message
_.do_GET
_.do_POST
# tests/botapi_stub.py answers Bot API method M with its _m_M, looked up by name.
_._m_getMe
_._m_getUpdates
_._m_sendMessage
_._m_editMessageText
_._m_deleteMessage
_._m_getFile
# pexpect writes what the child printed to logfile_read (tests/test_console.py).
_.logfile_read
# pytest reads a module's pytestmark (tests/test_real_model.py).
pytestmark
# tokenizers reads a tokenizer's pre_tokenizer and decoder (tests/tiny_model.py).
_.pre_tokenizer
_.decoder
# torch.nn.Module.__call__ calls a module's forward (summarizer/model/embedding.py).
_.forward
# transformers' tokenizers read padding_side when they pad a batch (tests/test_model_loader.py).
_.padding_side
