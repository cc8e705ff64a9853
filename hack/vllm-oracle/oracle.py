#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""vLLM's own command-line parser as a test oracle for servelayer.

This runs the real argument parsing code of the pinned vLLM release (its
Python sources, unpacked from the release wheel by `make vllm-oracle`):
FlexibleArgumentParser (vllm/utils/__init__.py), make_arg_parser
(vllm/entrypoints/openai/cli_args.py, which calls FrontendArgs and
AsyncEngineArgs.add_cli_args from vllm/engine/arg_utils.py) and
validate_parsed_serve_args, on Python's own argparse. `vllm serve` is
assembled as vllm/entrypoints/cli/main.py and cli/serve.py do it (a
FlexibleArgumentParser with a "serve" subparser; model_tag replaces --model).
A command line whose "entrypoint" is "image" (raw-vllm and kserve run the
image's ENTRYPOINT with our args) must also parse as the older entrypoint
`python3 -m vllm.entrypoints.openai.api_server` reads it (api_server.py's
__main__: make_arg_parser on a plain FlexibleArgumentParser, model_tag
ignored), so the verdict holds whichever of the two the image runs.

Only modules that do not take part in parsing are stubbed, because they
need a GPU build or are large: torch, transformers, PIL and vLLM's compiled
extension vllm._C (see STUBBED). The config classes whose fields define the
flags (ModelConfig, KVTransferConfig, ...) are vLLM's own, validated by the
real pydantic. Like vLLM's own documentation build, DeviceConfig's
__post_init__ is patched while the parser is built: it probes for a GPU to
pick the --device default, and this machine has none.

Usage:
  oracle.py flags            print the option table (schema/vllmflags.txt)
  oracle.py check < lines    check rendered command lines, one JSON per line:
      {"id": str, "argv": [args after `vllm serve`], "entrypoint": "serve"
       or "image", "model": str, "served": str, "port": int,
       "host": str or null, "kvTransferConfig": object or null,
       "lora": {"modules": [[name, path]...], "maxLoras": int,
                "maxRank": int (0: vLLM's default)} or absent (not checked)}
    and print one JSON per line: {"id", "ok", "problems": [...], "got": {...}}.
  oracle.py blockhash < lines  vLLM's prefix-caching block hashes, as its KV
    events carry them, one JSON per line: {"id": str, "blockSize": int,
    "hashAlgo": str, "seed": str or null (PYTHONHASHSEED), "tokens": [int]}
    and print one JSON per line: {"id", "hashes": [int or hex str]}. It runs
    vLLM's own request block hasher (vllm/v1/core/kv_cache_utils.py:
    init_none_hash, get_request_block_hasher) and the conversion its block
    pool applies before publishing (maybe_convert_block_hash).
The source directory is $VLLM_SRC (default: src/ beside this venv's bin/).
"""
import argparse
import contextlib
import dataclasses
import importlib.machinery
import importlib.metadata
import io
import json
import logging
import os
import sys
import types
from unittest.mock import MagicMock, patch

VLLM_VERSION = "0.11.0"

# Modules stubbed because they do not take part in argument parsing. The
# versions are the ones vLLM 0.11.0 requires (for its version checks).
STUBBED = {"torch": "2.8.0", "transformers": "4.57.0", "PIL": None, "vllm._C": None}


class _Stub(MagicMock):
    """Any value of a stubbed module: callable, subscriptable, a decorator."""

    def __get_pydantic_core_schema__(self, source_type, handler):
        from pydantic_core import core_schema
        return core_schema.any_schema()


class _AnyMeta(type):
    def __getattr__(cls, name):
        if name.startswith("__"):
            raise AttributeError(name)
        value = _AnyMeta(name, (_Any, ), {}) if name[:1].isupper() else _Stub()
        setattr(cls, name, value)
        return value

    def __or__(cls, other):
        return cls

    def __ror__(cls, other):
        return cls


class _Any(metaclass=_AnyMeta):
    """A class of a stubbed module (torch.nn.Module, torch.dtype, ...): it
    can be subclassed, instantiated and used in type hints."""

    def __init__(self, *args, **kwargs):
        pass

    def __class_getitem__(cls, item):
        return cls

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Stub()

    def __call__(self, *args, **kwargs):
        return _Stub()

    @classmethod
    def __get_pydantic_core_schema__(cls, source_type, handler):
        from pydantic_core import core_schema
        return core_schema.any_schema()


class _StubModule(types.ModuleType):

    def __init__(self, name):
        super().__init__(name)
        self.__path__ = []
        self._values = {}

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name not in self._values:
            self._values[name] = (_AnyMeta(name, (_Any, ), {"__module__": self.__name__})
                                  if name[:1].isupper() else _Stub())
        return self._values[name]


class _StubFinder:

    def find_spec(self, name, path=None, target=None):
        if any(name == m or name.startswith(m + ".") for m in STUBBED):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        return _StubModule(spec.name)

    def exec_module(self, module):
        pass


def _import_vllm():
    """Puts vLLM's sources on the path, with STUBBED stubbed."""
    src = os.environ.get("VLLM_SRC") or os.path.join(os.path.dirname(os.path.dirname(sys.executable)), "src")
    sys.path.insert(0, src)
    sys.meta_path.insert(0, _StubFinder())
    real_version = importlib.metadata.version
    importlib.metadata.version = lambda name: STUBBED.get(name) or real_version(name)
    logging.disable(logging.CRITICAL)
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
    import vllm
    if vllm.__version__ != VLLM_VERSION:
        sys.exit(f"oracle: vLLM sources at {src} are {vllm.__version__}, want {VLLM_VERSION}")


def _serve_parser():
    """The `vllm` CLI with its serve subcommand, as vllm/entrypoints/cli/main.py
    and cli/serve.py build it."""
    _import_vllm()
    from vllm.entrypoints.openai.cli_args import make_arg_parser, validate_parsed_serve_args
    from vllm.utils import FlexibleArgumentParser
    top = FlexibleArgumentParser(description="vLLM CLI")
    top.add_argument("-v", "--version", action="version", version=VLLM_VERSION)
    sub = top.add_subparsers(required=False, dest="subparser")
    serve = sub.add_parser("serve", usage="vllm serve [model_tag] [options]")
    with patch("vllm.config.DeviceConfig.__post_init__"):
        serve = make_arg_parser(serve)
        api_server = make_arg_parser(FlexibleArgumentParser(description="vLLM OpenAI-Compatible RESTful API server."))
    return top, serve, api_server, validate_parsed_serve_args


def _nargs(action):
    n = action.nargs
    if n is None:
        return "1"
    return str(n)


def flags():
    _, serve, _, _ = _serve_parser()
    print(f"# The options of `vllm serve` in vLLM {VLLM_VERSION} (Python {sys.version_info.major}.{sys.version_info.minor}):")
    print("# option, destination, number of values (argparse nargs; 1 = exactly one).")
    print("# Generated by `make vllm-flags` (hack/vllm-oracle/oracle.py flags); do not edit.")
    for opt in sorted(serve._option_string_actions):
        a = serve._option_string_actions[opt]
        print(opt, a.dest, _nargs(a))
    for a in serve._actions:
        if not a.option_strings:
            print("positional", a.dest, _nargs(a))


def parse(top, validate, argv, api_server=None):
    """Parse `vllm serve ARGV` (or, given api_server, the api_server module's
    ARGV); return (namespace, error)."""
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            if api_server is not None:
                ns = api_server.parse_args(list(argv))
            else:
                ns = top.parse_args(["serve"] + list(argv))
                if getattr(ns, "model_tag", None) is not None:  # cli/serve.py ServeSubcommand.cmd
                    ns.model = ns.model_tag
            validate(ns)
        return ns, None
    except SystemExit:
        return None, err.getvalue().strip().splitlines()[-1] if err.getvalue().strip() else "exit"
    except Exception as e:  # noqa: BLE001 - any failure is vLLM refusing the command line
        return None, f"{type(e).__name__}: {e}"


def _kv(cfg):
    if cfg is None:
        return None
    d = dataclasses.asdict(cfg) if dataclasses.is_dataclass(cfg) else dict(cfg)
    d.pop("engine_id", None)  # a random default
    return d


def check():
    # Verdicts go to the real stdout; anything vLLM prints goes to stderr.
    out_file = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    top, _, api_server, validate = _serve_parser()
    from vllm.config import KVTransferConfig
    failed = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        want = json.loads(line)
        out = {"id": want["id"], "ok": False, "problems": [], "got": {}}
        wanted_kv = want.get("kvTransferConfig")
        expect = {
            "model": want["model"],
            "served": [want["served"]],
            "port": want["port"],
            "host": want.get("host"),
            "uds": None,
            "kvTransferConfig": _kv(KVTransferConfig(**wanted_kv)) if wanted_kv is not None else None,
        }
        lora = want.get("lora")
        if lora is not None:
            expect["lora"] = {
                "enable": True,
                "modules": [list(m) for m in lora["modules"]],
                "maxLoras": lora["maxLoras"],
                "maxRank": lora.get("maxRank") or 16,  # LoRAConfig's default
            }
        entrypoints = {"vllm serve": None}
        if want.get("entrypoint") == "image":
            entrypoints["api_server"] = api_server
        for name, parser in entrypoints.items():
            ns, err = parse(top, validate, want["argv"], parser)
            if err is not None:
                out["problems"].append(f"{name}: vLLM refuses the command line: " + err)
                continue
            got = {
                "model": ns.model,
                "served": ns.served_model_name,
                "port": ns.port,
                "host": ns.host,
                "uds": ns.uds,
                "kvTransferConfig": _kv(ns.kv_transfer_config),
            }
            if lora is not None:
                got["lora"] = {
                    "enable": ns.enable_lora,
                    "modules": [[m.name, m.path] for m in (ns.lora_modules or [])],
                    "maxLoras": ns.max_loras,
                    "maxRank": ns.max_lora_rank,
                }
            out["got"][name] = got
            for k, v in expect.items():
                if got[k] != v:
                    out["problems"].append(f"{name}: {k}: vLLM reads {got[k]!r}, servelayer meant {v!r}")
        out["ok"] = not out["problems"]
        failed += not out["ok"]
        print(json.dumps(out, sort_keys=True, default=str), file=out_file, flush=True)
    return failed


def blockhash():
    """vLLM's block hashes of each line's tokens, as its KV events carry them."""
    # The scheduler's imports reach these too; none takes part in hashing.
    STUBBED.update({"prometheus_client": None, "diskcache": None, "cpuinfo": None})
    _import_vllm()
    from vllm.utils import get_hash_fn_by_name
    from vllm.v1.core import kv_cache_utils
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        # init_none_hash reads PYTHONHASHSEED when it runs, as the engine
        # core does at start-up.
        if req["seed"] is None:
            os.environ.pop("PYTHONHASHSEED", None)
        else:
            os.environ["PYTHONHASHSEED"] = req["seed"]
        fn = get_hash_fn_by_name(req["hashAlgo"])
        kv_cache_utils.init_none_hash(fn)
        hasher = kv_cache_utils.get_request_block_hasher(req["blockSize"], fn)
        # A plain text request: no multimodal input, LoRA or cache salt.
        request = types.SimpleNamespace(block_hashes=[], num_tokens=len(req["tokens"]), all_token_ids=req["tokens"],
                                        mm_features=[], lora_request=None, cache_salt=None)
        hashes = [kv_cache_utils.maybe_convert_block_hash(h) for h in hasher(request)]
        out = {"id": req["id"], "hashes": [h if isinstance(h, int) else h.hex() for h in hashes]}
        print(json.dumps(out), flush=True)


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("flags", "check", "blockhash"):
        sys.exit(__doc__)
    if sys.argv[1] == "flags":
        flags()
    elif sys.argv[1] == "blockhash":
        blockhash()
    else:
        check()  # the caller reads each line's verdict


if __name__ == "__main__":
    main()
