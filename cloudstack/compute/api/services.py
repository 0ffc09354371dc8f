"""TODO"""


def add_routes(router):
    pass
