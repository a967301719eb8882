"""An SMTP server for the tests (aiosmtpd), on loopback: STARTTLS with the test
certificate on one port, TLS from the first byte (implicit TLS, as on port 465) on
another, AUTH PLAIN/LOGIN for test/secret once TLS is up, and answers chosen by the
recipient so tests can provoke failures: `reject…@` gets 550, `tempfail…@` gets 451 the
first time and is accepted after. Accepted mail goes into a Maildir. A third port
(STARTTLS, as Microsoft 365's and Gmail's port 587) signs in only with XOAUTH2, with the
tokens the OAuth2 introspection server accepts (a file in TOKENS naming the user).

Usage: smtp_test_server.py MAILDIR CERT KEY [--starttls-port PORT] [--implicit-tls-port PORT]
       [--xoauth2-port PORT --oauth2-tokens TOKENS]
(at least one port; the test script asks only for those not yet served).
"""

import argparse

import asyncio
import base64
import mailbox
import ssl

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from oauth2_test_server import introspect


class Handler:
    def __init__(self, maildir):
        self.mailbox = mailbox.Maildir(maildir, create=True)
        self.failed_once = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if local.startswith("tempfail") and address not in self.failed_once:
            self.failed_once.add(address)
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.mailbox.add(envelope.original_content or envelope.content)
        return "250 2.0.0 Message accepted for delivery"


class OAuth2Handler(Handler):
    """Offers AUTH XOAUTH2: `user=U^Aauth=Bearer T^A^A`, valid when the token T is one
    the introspection server accepts for U."""

    def __init__(self, maildir, tokens_dir):
        super().__init__(maildir)
        self.tokens_dir = tokens_dir

    async def auth_XOAUTH2(self, server, args):
        if len(args) != 2:
            return AuthResult(success=False, handled=False)
        try:
            fields = base64.b64decode(args[1]).decode("utf-8").split("\x01")
            user = fields[0].removeprefix("user=")
            token = fields[1].removeprefix("auth=Bearer ")
        except (ValueError, IndexError):
            return AuthResult(success=False, handled=False)
        answer = introspect(self.tokens_dir, token)
        if answer["active"] and answer["username"] == user:
            return AuthResult(success=True, auth_data=user)
        return AuthResult(success=False, handled=False)


def authenticate(server, session, envelope, mechanism, auth_data):
    if isinstance(auth_data, LoginPassword) and auth_data.login == b"test" and auth_data.password == b"secret":
        return AuthResult(success=True)
    return AuthResult(success=False, handled=False)


def main():
    arguments = argparse.ArgumentParser()
    arguments.add_argument("maildir")
    arguments.add_argument("cert")
    arguments.add_argument("key")
    arguments.add_argument("--starttls-port", type=int)
    arguments.add_argument("--implicit-tls-port", type=int)
    arguments.add_argument("--xoauth2-port", type=int)
    arguments.add_argument("--oauth2-tokens")
    options = arguments.parse_args()
    ports = (options.starttls_port, options.implicit_tls_port, options.xoauth2_port)
    if all(port is None for port in ports):
        arguments.error("give at least one of --starttls-port, --implicit-tls-port, --xoauth2-port")
    if options.xoauth2_port is not None and options.oauth2_tokens is None:
        arguments.error("--xoauth2-port needs --oauth2-tokens")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(options.cert, options.key)
    handler = Handler(options.maildir)
    common = dict(hostname="127.0.0.1", authenticator=authenticate, auth_required=True)
    controllers = []
    if options.starttls_port is not None:
        controllers.append(
            Controller(
                handler,
                port=options.starttls_port,
                tls_context=context,
                require_starttls=True,
                auth_require_tls=True,
                **common,
            )
        )
    if options.implicit_tls_port is not None:
        # aiosmtpd counts only STARTTLS as TLS for AUTH; this port speaks nothing but TLS.
        controllers.append(
            Controller(
                handler,
                port=options.implicit_tls_port,
                ssl_context=context,
                auth_require_tls=False,
                **common,
            )
        )
    if options.xoauth2_port is not None:
        controllers.append(
            Controller(
                OAuth2Handler(options.maildir, options.oauth2_tokens),
                port=options.xoauth2_port,
                tls_context=context,
                require_starttls=True,
                auth_require_tls=True,
                auth_exclude_mechanism=["LOGIN", "PLAIN"],
                **common,
            )
        )
    for controller in controllers:
        controller.start()
    print("ready", flush=True)
    try:
        asyncio.new_event_loop().run_forever()
    finally:
        for controller in controllers:
            controller.stop()


if __name__ == "__main__":
    main()
