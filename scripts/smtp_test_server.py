"""An SMTP server for the tests (aiosmtpd), on loopback: STARTTLS with the test
certificate on one port, TLS from the first byte (implicit TLS, as on port 465) on
another, AUTH PLAIN/LOGIN for test/secret once TLS is up, and answers chosen by the
recipient so tests can provoke failures: `reject…@` gets 550, `tempfail…@` gets 451 the
first time and is accepted after. Accepted mail goes into a Maildir.

Usage: smtp_test_server.py MAILDIR CERT KEY [--starttls-port PORT] [--implicit-tls-port PORT]
(at least one port; the test script asks only for those not yet served).
"""

import argparse

import asyncio
import mailbox
import ssl

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


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
    options = arguments.parse_args()
    if options.starttls_port is None and options.implicit_tls_port is None:
        arguments.error("give --starttls-port, --implicit-tls-port or both")
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
