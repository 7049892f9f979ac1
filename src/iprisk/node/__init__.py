"""A node: the library, its operational database, its keys and its audit trail, as one administration runs it.

:class:`Node` opens what the settings describe; :func:`init_node` creates it (``iprisk node init``);
:func:`backup_node` / :func:`restore_node` save and bring back its database and key folder. The web service
(``iprisk.web``) and the command line both work through a ``Node``. See ``docs/operations.md``.
"""

from iprisk.node.backup import RESTORE_HOOKS, Manifest, backup_node, restore_node
from iprisk.node.context import Node, NodeSettingError, node_name
from iprisk.node.init import InitResult, init_node
from iprisk.node.keys import AuditKeys, create_audit_keys, load_audit_keys, log_name, witness_name
from iprisk.node.login import login, login_for

__all__ = [
    "RESTORE_HOOKS",
    "AuditKeys",
    "InitResult",
    "Manifest",
    "Node",
    "NodeSettingError",
    "backup_node",
    "create_audit_keys",
    "init_node",
    "load_audit_keys",
    "log_name",
    "login",
    "login_for",
    "node_name",
    "restore_node",
    "witness_name",
]
