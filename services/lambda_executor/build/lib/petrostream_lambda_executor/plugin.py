"""plux entry point: registered as ``process`` in ``localstack.lambda.runtime_executor``.

Select it with ``LAMBDA_RUNTIME_EXECUTOR=process``. Importing stays lazy so that LocalStack can
list plugins without loading the executor.
"""

from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin


class ProcessRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    name = "process"

    def load(self, *args, **kwargs):
        from petrostream_lambda_executor.executor import ProcessRuntimeExecutor

        return ProcessRuntimeExecutor
