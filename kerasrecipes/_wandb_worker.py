"""The W&B side of a tracked run, in its own process (`python -m kerasrecipes._wandb_worker`).

`kerasrecipes.runs.tracking.Tracker` starts this process and talks to it in JSON lines: W&B's import
and `wandb.init` (most of a second of Python) then run on another core instead of holding the
training process's interpreter, and the CLI starts it before it imports TensorFlow. Requests on stdin:
first `{"init": {...wandb.init arguments...}}`, then any number of `{"log": {...}}`, then
`{"finish": {"summary": {...}, "artifact": name, "files": [...]}}` or `{"abort": true}`; after a
finish, the next `init` starts another run in this process (W&B already imported and set up: a
process that trains many runs keeps one worker). Replies on stdout, one per init and finish:
`{"ok": true}` or `{"error": "<type>: <message>", "usage": bool}` (usage: W&B refused the user's
settings, e.g. a project name or a missing login); after an error or an abort the worker ends. If
the training process dies (stdin closes without a finish), the W&B run is ended as failed; what it
logged stays on disk. Only the standard library and wandb are imported here.
"""

from __future__ import annotations

import json
import os
import sys
import traceback


def _reply(channel, **message) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


def main() -> int:
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w")  # replies; anything W&B prints goes to stderr
    sys.stdout = sys.stderr
    run = None
    try:
        import wandb

        wandb.setup()  # starts W&B's service process while the training process imports TensorFlow
    except Exception as exc:  # W&B cannot start here (settings, environment): told at the first request
        failed = exc
    else:
        failed = None
    for line in sys.stdin:
        request = json.loads(line)
        try:
            if failed is not None:
                raise failed
            if "init" in request:
                run = wandb.init(**request["init"], settings=wandb.Settings(silent=True))
                run.define_metric("epoch/epoch")
                run.define_metric("epoch/*", step_metric="epoch/epoch")
                _reply(channel, ok=True)
            elif "log" in request:
                run.log(request["log"])
            elif "finish" in request:
                end = request["finish"]
                run.summary.update(end["summary"])
                if end["files"]:
                    artifact = wandb.Artifact(end["artifact"], type="model", metadata=end["summary"])
                    for path in end["files"]:
                        artifact.add_file(path, name=os.path.basename(path))
                    run.log_artifact(artifact)
                run.finish()
                run = None
                _reply(channel, ok=True)  # the run is on disk; the next init starts another in this process
            elif "abort" in request:
                break
        except Exception as exc:  # told to the training process, which raises it
            traceback.print_exc()
            usage = type(exc).__name__ in ("UsageError", "AuthenticationError")  # the user's W&B settings
            _reply(channel, error=f"{type(exc).__name__}: {exc}", usage=usage)
            return 1
    if run is not None:  # aborted, or the training process is gone
        run.finish(exit_code=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
