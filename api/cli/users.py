"""`heritage users create|list|disable|enable|set-role|set-password`: the people who sign in to
the workspace (admins also manage them at `/workspace/users`).

Registered on the `heritage` app by `api.cli.commands`. Like `heritage keys`, works on storage
alone and writes each change to the audit log as the local operator. Passwords are asked for
twice without echo, or read as one line from stdin with `--password-stdin` (for scripts); they
never appear on the command line.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from api.cli.governance import _operator, _store
from api.cli.support import fail, out

users_app = typer.Typer(
    name="users",
    help="People who sign in to the staff workspace: each has an institution and a role "
    "(archivist, curator, admin), with the same rules as API keys.",
    no_args_is_help=True,
)

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password as one line from stdin.")
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            fail("--password-stdin: stdin held no password")
        return line
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@users_app.command("create")
def create_user(
    name: Annotated[str, typer.Argument(help="The user name (a-z, 0-9, '.', '_', '-').")],
    institution: Annotated[str, typer.Option(help="The institution the user acts for.")],
    role: Annotated[str, typer.Option(help="archivist, curator or admin.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Make a user; the password is stored only as an argon2 hash."""
    from api.operations.accounts import create_user as create
    from repository.apikeys import check_institution, check_role
    from repository.keys import check_user_name

    check_user_name(name.strip().lower())  # refuse bad input before asking for a password
    check_institution(institution)
    check_role(role)
    user = create(_store(), _operator(), name, institution, role, _password(password_stdin))
    out.print(f"User {user.name}: {user.role} of {user.institution}", markup=False)


@users_app.command("list")
def list_users(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every user (active and disabled), without password hashes."""
    from repository.users import UserStore

    users = UserStore(_store()).list()
    shown = [
        {
            "name": u.name,
            "institution": u.institution,
            "role": u.role,
            "created": u.created,
            "disabled": u.disabled,
        }
        for u in users
    ]
    if as_json:
        typer.echo(json.dumps(shown, ensure_ascii=False, indent=1))
        return
    table = Table(title=f"{len(users)} users")
    columns = ("name", "institution", "role", "created", "disabled")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in shown:
        table.add_row(*(str(row[c] or "") for c in columns))
    out.print(table)


@users_app.command("disable")
def disable_user(name: Annotated[str, typer.Argument(help="The user name.")]) -> None:
    """Refuse the user's sign-ins and end their sessions at once (the user is kept)."""
    from api.operations.accounts import disable_user as disable

    user = disable(_store(), _operator(), name)
    out.print(f"Disabled user {user.name} ({user.role} of {user.institution}) at {user.disabled}.")


@users_app.command("enable")
def enable_user(name: Annotated[str, typer.Argument(help="The user name.")]) -> None:
    """Accept a disabled user's sign-ins again (the sessions disabling ended stay ended)."""
    from api.operations.accounts import enable_user as enable

    user = enable(_store(), _operator(), name)
    out.print(f"Enabled user {user.name} ({user.role} of {user.institution}).", markup=False)


@users_app.command("set-role")
def set_role(
    name: Annotated[str, typer.Argument(help="The user name.")],
    role: Annotated[str, typer.Option(help="archivist, curator or admin.")],
) -> None:
    """Give the user another role; it applies from their next request."""
    from api.operations.accounts import set_role as change

    user = change(_store(), _operator(), name, role)
    out.print(f"User {user.name}: {user.role} of {user.institution}", markup=False)


@users_app.command("set-password")
def set_password(
    name: Annotated[str, typer.Argument(help="The user name.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Give the user a new password; every session they had ends."""
    from api.operations.accounts import set_password as change
    from repository.users import UserStore

    store = _store()
    UserStore(store).require(name.strip().lower())  # an unknown name fails before the prompt
    user = change(store, _operator(), name, _password(password_stdin))
    out.print(f"Changed the password of user {user.name}; their sessions ended.", markup=False)
