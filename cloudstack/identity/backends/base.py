"""The interface of an identity backend."""
import dataclasses


@dataclasses.dataclass
class UserRecord:
    local_id: str           # the backend's own id of the user
    name: str
    enabled: bool = True
    email: str | None = None
    description: str | None = None


@dataclasses.dataclass
class GroupRecord:
    local_id: str
    name: str
    description: str | None = None
    member_ids: list = dataclasses.field(default_factory=list)   # user local ids


class IdentityBackend:
    """A source of users and groups for one domain.

    The manager mirrors what an external backend holds into its own tables
    (users and groups get stable public ids, Keystone's id mapping), so that
    roles, tokens and every listing work the same for all domains; an
    external backend is asked again when its domain is listed and when one
    of its users authenticates. `external` is False for the backend whose
    data are the tables themselves.
    """
    name = None
    external = True
    writable = False

    def __init__(self, domain_id, options):
        self.domain_id = domain_id
        self.options = options      # the backend's group of the domain config

    def list_users(self):
        """Every UserRecord."""
        raise NotImplementedError

    def find_user(self, name):
        """The UserRecord named `name`, or None."""
        raise NotImplementedError

    def list_groups(self):
        """Every GroupRecord, with its members' local ids."""
        raise NotImplementedError

    def authenticate(self, local_id, password):
        """True when `password` is the user's."""
        raise NotImplementedError
