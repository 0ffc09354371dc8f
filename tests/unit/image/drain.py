"""Run the queued durable tasks in the test's process, as the engine would."""
from cloudstack.tasks import queue


def run_tasks(rounds=10):
    """Claim and run every runnable task (and those they queue); returns how many."""
    ran = 0
    for _ in range(rounds):
        claimed = queue.claim('test:1', limit=100)
        if not claimed:
            return ran
        for task in claimed:
            try:
                result = queue.resolve(task.handler)(**task.args)
            except Exception as exc:
                queue.fail(task.id, 'test:1', exc)
            else:
                queue.complete(task.id, 'test:1', result)
            ran += 1
    return ran
