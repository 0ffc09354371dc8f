"""Where object bytes live: a backend from the cloudstack.object_store.backends
namespace, named by [object_store] backend (base.py is the interface)."""
NAMESPACE = 'cloudstack.object_store.backends'
