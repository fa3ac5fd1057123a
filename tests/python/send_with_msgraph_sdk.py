"""Send one message through Microsoft's Graph SDK for Python (msgraph-sdk) with an
azure-identity client secret credential, both pointed at the GraphMail emulator, then look
the message up in the emulator's web inbox API.

Run by tests/sdk_python.rs with these environment variables: EMULATOR_URL, CA_FILE,
TENANT_ID, CLIENT_ID, CLIENT_SECRET, FROM_ADDRESS, TO_ADDRESS, SUBJECT. TLS is verified
against the emulator's CA (CA_FILE); verification is never turned off.

Prints "SENT" after the SDK's sendMail call returned, then "INBOX <json>" with what the
inbox API lists for the subject.
"""

import asyncio
import base64
import json
import os
import ssl
import sys
from urllib.parse import urlsplit

import httpx
from azure.identity.aio import ClientSecretCredential
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.body_type import BodyType
from msgraph.generated.models.email_address import EmailAddress
from msgraph.generated.models.file_attachment import FileAttachment
from msgraph.generated.models.importance import Importance
from msgraph.generated.models.internet_message_header import InternetMessageHeader
from msgraph.generated.models.item_body import ItemBody
from msgraph.generated.models.message import Message
from msgraph.generated.models.recipient import Recipient
from msgraph.generated.users.item.send_mail.send_mail_post_request_body import (
    SendMailPostRequestBody,
)
from msgraph_core import GraphClientFactory


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.exit(f"environment variable {name} is not set")
    return value


async def main():
    emulator = env("EMULATOR_URL").rstrip("/")
    ca_file = env("CA_FILE")
    tls = ssl.create_default_context(cafile=ca_file)

    # The identity platform is the emulator: azure-identity (MSAL) reads its OpenID
    # configuration and token endpoint there. Instance discovery would ask
    # login.microsoftonline.com about this authority, so it is turned off, as for any
    # private authority.
    credential = ClientSecretCredential(
        env("TENANT_ID"),
        env("CLIENT_ID"),
        env("CLIENT_SECRET"),
        authority=emulator,
        connection_verify=ca_file,
        disable_instance_discovery=True,
    )
    async with credential:
        # Tokens are only attached for allowed hosts; Graph is the emulator.
        auth = AzureIdentityAuthenticationProvider(
            credential,
            scopes=["https://graph.microsoft.com/.default"],
            allowed_hosts=[urlsplit(emulator).hostname],
        )
        http = GraphClientFactory.create_with_default_middleware(
            client=httpx.AsyncClient(verify=tls)
        )
        adapter = GraphRequestAdapter(auth, client=http)
        adapter.base_url = f"{emulator}/v1.0"
        client = GraphServiceClient(request_adapter=adapter)

        message = Message(
            subject=env("SUBJECT"),
            importance=Importance.High,
            body=ItemBody(
                content_type=BodyType.Html,
                content="<p>Sent with <b>msgraph-sdk</b> for Python.</p>",
            ),
            to_recipients=[
                Recipient(
                    email_address=EmailAddress(
                        address=env("TO_ADDRESS"), name="Ops Team"
                    )
                )
            ],
            internet_message_headers=[
                InternetMessageHeader(name="x-sent-by", value="msgraph-sdk-python")
            ],
            attachments=[
                FileAttachment(
                    odata_type="#microsoft.graph.fileAttachment",
                    name="hello.txt",
                    content_type="text/plain",
                    content_bytes=base64.b64decode(
                        base64.b64encode(b"Hello from Python")
                    ),
                )
            ],
        )
        body = SendMailPostRequestBody(message=message, save_to_sent_items=False)
        await client.users.by_user_id(env("FROM_ADDRESS")).send_mail.post(body)
        print("SENT", flush=True)

    async with httpx.AsyncClient(verify=tls) as plain:
        response = await plain.get(
            f"{emulator}/_emulator/inbox/messages", params={"q": env("SUBJECT")}
        )
        response.raise_for_status()
        print("INBOX " + json.dumps(response.json()), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
