"""Saenggak Lab rewards for verl, served over HTTP.

verl custom reward file: point ``custom_reward_function.path`` at this file and ``custom_reward_function.name``
at ``compute_score`` (verl's naive reward manager, one call per response) or ``compute_score_batch`` (with
``reward_model.reward_manager=batch``, one call per batch). Each call asks a running
``saenggak serve rewards`` server, so a cluster run scores with exactly the rewards of a local run.
With ``custom_reward_function.reward_kwargs.return_dict=true`` (what ``saenggak export verl`` writes) each
result is ``{"score", "accuracy", "format", "language", ...}`` and verl logs the components.

Configuration (environment variables, read at every call):

    SAENGGAK_REWARD_URL        server address, default http://127.0.0.1:5124
    SAENGGAK_REWARD_TOKEN      the token the server printed at start (required)
    SAENGGAK_REWARD_TIMEOUT    seconds per HTTP request, default 120
    SAENGGAK_REWARD_RETRIES    attempts per request, default 5 (exponential backoff from 0.5 s, capped at 8 s)
    SAENGGAK_REWARD_MAX_BATCH  items per HTTP request, default 256 (larger batches are split)
    SAENGGAK_REWARD_PARALLEL   requests in flight at once for a split batch, default 4 (the server scores
                               one request while it reads the next)

The math accuracy is decided by the server, with the same TypeScript verifier as ``saenggak reward math``
and the in-app accuracy reward (boxed answers, answer phrases, LaTeX math, relations, matrices, percentages,
exact scientific notation; see docs/math-verification.md), so this file never re-implements it and cannot
drift from it: test/unit/rewards/math-verify-cases.test.ts runs every fixture case through this file under
python3 and through the TypeScript verifier and requires the same verdict.

Only Python's standard library is used, so the file runs in any verl environment as is.
"""

import json
import os
from concurrent.futures import ThreadPoolExecutor
import random
import time
import urllib.error
import urllib.request

__all__ = ["compute_score", "compute_score_batch", "RewardServerError"]

DEFAULT_URL = "http://127.0.0.1:5124"
REWARDS_PATH = "/v1/rewards"
# Worth another attempt: the server is starting, busy (503) or behind a proxy that hiccuped.
RETRIABLE_STATUS = {429, 502, 503, 504}


class RewardServerError(RuntimeError):
    """The reward server could not be reached, or it refused the request (the message says which and why)."""


def _settings():
    url = os.environ.get("SAENGGAK_REWARD_URL", DEFAULT_URL).rstrip("/")
    token = os.environ.get("SAENGGAK_REWARD_TOKEN", "")
    if not token:
        raise RewardServerError(
            "SAENGGAK_REWARD_TOKEN is not set: export the token printed by `saenggak serve rewards`"
        )
    return {
        "url": url,
        "token": token,
        "timeout": float(os.environ.get("SAENGGAK_REWARD_TIMEOUT", "120")),
        "retries": max(1, int(os.environ.get("SAENGGAK_REWARD_RETRIES", "5"))),
        "max_batch": max(1, int(os.environ.get("SAENGGAK_REWARD_MAX_BATCH", "256"))),
        "parallel": max(1, int(os.environ.get("SAENGGAK_REWARD_PARALLEL", "4"))),
    }


def _server_message(error):
    """The server's `{error: {message}}`, or the raw body when it is not ours."""
    try:
        body = error.read().decode("utf-8", "replace")
    except Exception:  # the connection may already be gone
        return error.reason
    try:
        return json.loads(body)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return body.strip() or error.reason


def _post(items, settings):
    endpoint = settings["url"] + REWARDS_PATH
    data = json.dumps({"items": items}, ensure_ascii=False).encode("utf-8")
    last_error = None
    for attempt in range(settings["retries"]):
        if attempt > 0:
            delay = min(8.0, 0.5 * 2 ** (attempt - 1))
            time.sleep(delay * (0.5 + random.random() / 2))
        request = urllib.request.Request(
            endpoint,
            data=data,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": "Bearer " + settings["token"],
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=settings["timeout"]) as response:
                results = json.loads(response.read().decode("utf-8"))["results"]
        except urllib.error.HTTPError as error:
            message = _server_message(error)
            if error.code in RETRIABLE_STATUS:
                last_error = "HTTP %d: %s" % (error.code, message)
                continue
            if error.code == 401:
                raise RewardServerError(
                    "reward server at %s refused the token (401): check SAENGGAK_REWARD_TOKEN (%s)"
                    % (settings["url"], message)
                ) from None
            raise RewardServerError(
                "reward server at %s answered HTTP %d: %s" % (settings["url"], error.code, message)
            ) from None
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as error:
            last_error = str(getattr(error, "reason", error))
            continue
        if len(results) != len(items):
            raise RewardServerError(
                "reward server returned %d results for %d items" % (len(results), len(items))
            )
        return results
    raise RewardServerError(
        "reward server at %s is unreachable after %d attempts (last error: %s). Start it with "
        "`saenggak serve rewards` and set SAENGGAK_REWARD_URL and SAENGGAK_REWARD_TOKEN"
        % (settings["url"], settings["retries"], last_error)
    )


def _prompt_text(prompt):
    """verl keeps the prompt as chat messages; the reward server wants the last user turn as text."""
    if prompt is None:
        return ""
    if isinstance(prompt, str):
        return prompt
    try:
        messages = list(prompt)
    except TypeError:
        return str(prompt)
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return str(message.get("content", ""))
    return str(messages[-1].get("content", "")) if messages and isinstance(messages[-1], dict) else ""


def _item(data_source, solution_str, ground_truth, extra_info):
    extra = extra_info if isinstance(extra_info, dict) else {}
    if ground_truth is not None and not isinstance(ground_truth, (str, int, float)):
        # A list/array of accepted answers: the first is the reference.
        values = list(ground_truth)
        ground_truth = values[0] if values else None
    if isinstance(ground_truth, bool):
        ground_truth = str(ground_truth).lower()
    if isinstance(ground_truth, float) and ground_truth.is_integer():
        ground_truth = int(ground_truth)
    lang = extra.get("language", extra.get("lang"))
    return {
        "prompt": _prompt_text(extra.get("prompt")),
        "response": solution_str if isinstance(solution_str, str) else str(solution_str),
        "ground_truth": None if ground_truth is None else str(ground_truth),
        "lang": None if lang is None else str(lang),
        "data_source": None if data_source is None else str(data_source),
    }


# Component names the server scores, per server address (read once from /health): with return_dict every
# result carries every component, also an item that timed out, because verl stacks each key across the
# batch and a key missing from one response would break that.
_COMPONENT_NAMES = {}


def _component_names(settings):
    url = settings["url"]
    if url not in _COMPONENT_NAMES:
        request = urllib.request.Request(url + "/health", headers={"Authorization": "Bearer " + settings["token"]})
        try:
            with urllib.request.urlopen(request, timeout=settings["timeout"]) as response:
                config = json.loads(response.read().decode("utf-8")).get("config") or {}
            names = [name for name, value in config.items() if isinstance(value, dict) and "weight" in value]
        except Exception:  # an older server, or a hiccup: fall back to the names seen in results
            names = []
        _COMPONENT_NAMES[url] = names
    return _COMPONENT_NAMES[url]


def _as_return(result, return_dict, names=()):
    if not return_dict:
        return float(result["score"])
    # verl keeps the extra keys of a dict result as reward_extra_info (one float per component).
    out = {"score": float(result["score"])}
    for name in names:
        out[name] = float("nan")
    for name, component in result.get("components", {}).items():
        score = component.get("score")
        out[name] = float("nan") if score is None else float(score)
    return out


def score_items(items):
    """Scores request items ({prompt, response, ground_truth, lang, data_source}); returns the server's results."""
    settings = _settings()
    size = settings["max_batch"]
    requests = [items[start : start + size] for start in range(0, len(items), size)]
    if len(requests) <= 1 or settings["parallel"] == 1:
        parts = [_post(request, settings) for request in requests]
    else:
        with ThreadPoolExecutor(max_workers=min(settings["parallel"], len(requests))) as executor:
            parts = list(executor.map(lambda request: _post(request, settings), requests))
    return [result for part in parts for result in part]


def compute_score(data_source, solution_str, ground_truth, extra_info=None, return_dict=False, **kwargs):
    """verl's reward function signature: the score of one response (``extra_info`` may carry
    ``prompt`` and ``language``). With ``return_dict=True``: ``{"score", <component>: ...}``."""
    [result] = score_items([_item(data_source, solution_str, ground_truth, extra_info)])
    names = _component_names(_settings()) if return_dict else ()
    return _as_return(result, return_dict, names)


def compute_score_batch(data_sources, solution_strs, ground_truths, extra_infos=None, return_dict=False, **kwargs):
    """verl's batch reward signature (``BatchRewardManager``): one score per response, in order."""
    n = len(solution_strs)
    if extra_infos is None:
        extra_infos = [None] * n
    if not (len(data_sources) == len(ground_truths) == len(extra_infos) == n):
        raise ValueError(
            "compute_score_batch: data_sources, solution_strs, ground_truths and extra_infos must have the same "
            "length (got %d, %d, %d, %d)" % (len(data_sources), n, len(ground_truths), len(extra_infos))
        )
    items = [_item(d, s, g, e) for d, s, g, e in zip(data_sources, solution_strs, ground_truths, extra_infos)]
    results = score_items(items)
    names = ()
    if return_dict:
        seen = {name for r in results for name in r.get("components", {})}
        names = sorted(seen.union(_component_names(_settings())))
    return [_as_return(r, return_dict, names) for r in results]
