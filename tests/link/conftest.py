from tests.link.twonodes import nodes

__all__ = ["nodes"]
