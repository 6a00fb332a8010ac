"""Domain services shared by the CLI and the HTTP API: the state both faces work on.

- :mod:`~open_interpreter.services.registry`: registered models, numbered versions, stages;
- :mod:`~open_interpreter.services.jobs`: fine-tune job records (create, list, cancel, events);
- :mod:`~open_interpreter.services.job_queue`: the lease protocol workers follow (claim,
  heartbeat, record, finish, release, requeue stale jobs);
- :mod:`~open_interpreter.services.worker` and :mod:`~open_interpreter.services.job_runner`:
  workers running jobs in child processes; :mod:`~open_interpreter.services.job_progress`;
- :mod:`~open_interpreter.services.datasets`: uploaded datasets stored as artifacts;
- :mod:`~open_interpreter.services.evaluations`: stored evaluation reports;
- :mod:`~open_interpreter.services.prompt_store` and :mod:`~open_interpreter.services.prompts`:
  the prompt library in the database and the checks around rendering and evaluating;
- :mod:`~open_interpreter.services.api_keys`: hashed API keys and their scopes;
- :mod:`~open_interpreter.services.callers`: who calls (an API key sees its own datasets,
  jobs and evaluations; admin keys, the CLI and a server without keys see all);
- :mod:`~open_interpreter.services.audit`: the audit log of key and registry changes;
- :mod:`~open_interpreter.services.resources`: CPU, memory and GPU sampling;
- :mod:`~open_interpreter.services.names`: the name patterns services and schemas share.

Services take a database ``Session`` (or a ``Database``) and keyword-only options, and raise
the library's errors (:mod:`open_interpreter.errors`); they know nothing of HTTP, so the API
translates those errors at its edge and the CLI prints them as one line. Nothing is imported
here: each module is imported where it is used.
"""
