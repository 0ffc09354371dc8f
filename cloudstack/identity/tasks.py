"""The Identity service's periodic work, run by the engine."""
from cloudstack import tasks
from cloudstack.identity import manager


@tasks.periodic(3600, name='identity.purge_revocations')
def purge_revocations():
    """Drop revocation events older than any token they could still match."""
    return manager.get().purge_expired_revocations()
