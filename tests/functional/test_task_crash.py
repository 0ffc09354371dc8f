"""A task acknowledged to its caller survives kill -9 of the process running it."""
import os
import signal

from cloudstack.tasks import queue

HANDLERS = '''
    import os

    import eventlet

    from cloudstack import tasks

    @tasks.handler('crashtasks.slow_write')
    def slow_write(path, seconds):
        """Note the attempt, nap, then record completion once: idempotent."""
        with open(path + '.attempts', 'a') as f:
            f.write('%d\\n' % os.getpid())
        eventlet.sleep(seconds)
        if not os.path.exists(path):
            with open(path, 'w') as f:
                f.write('done\\n')
'''


def _lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def _enqueue(cloud):
    """Queue a 2 s task; returns its id and the file it completes."""
    cloud.plugin('crashtasks', HANDLERS)
    cloud.use_database()
    done = str(cloud.tmp / 'done')
    return queue.enqueue(None, 'crashtasks.slow_write', {'path': done, 'seconds': 2}), done


def _killed_mid_task(cloud, task_id, done, kill):
    cloud.wait_for(lambda: len(_lines(done + '.attempts')) == 1)
    kill()
    task = queue.get(task_id)
    assert task.state == 'running' and not os.path.exists(done)


def _ran_again(cloud, task_id, done):
    cloud.wait_for(lambda: queue.get(task_id).state == 'done', timeout=120)
    task = queue.get(task_id)
    assert task.attempts == 2
    assert len(_lines(done + '.attempts')) == 2 and _lines(done) == ['done']


def test_engine_killed_mid_task(cloud):
    cloud.run('cloudstack-manage', 'db', 'sync')
    task_id, done = _enqueue(cloud)
    engine = cloud.start('cloudstack-engine')
    _killed_mid_task(cloud, task_id, done, lambda: cloud.kill_tree(engine))
    engine = cloud.start('cloudstack-engine')
    _ran_again(cloud, task_id, done)
    engine.send_signal(signal.SIGTERM)
    assert engine.wait(timeout=60) == 0


def test_engine_child_killed_mid_task_is_restarted(cloud):
    proc = cloud.start('cloudstack-all')
    cloud.ready()
    task_id, done = _enqueue(cloud)
    [engine] = [pid for pid, name in cloud.family(proc).items() if name == 'cs-engine']
    _killed_mid_task(cloud, task_id, done, lambda: os.kill(engine, signal.SIGKILL))
    _ran_again(cloud, task_id, done)


def test_whole_tree_killed_mid_task(cloud):
    proc = cloud.start('cloudstack-all')
    cloud.ready()
    task_id, done = _enqueue(cloud)
    _killed_mid_task(cloud, task_id, done, lambda: cloud.kill_tree(proc))
    proc = cloud.start('cloudstack-all')
    _ran_again(cloud, task_id, done)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
