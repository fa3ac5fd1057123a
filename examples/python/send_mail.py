"""Send one message through GraphMail's C ABI from Python (ctypes, standard library only).

usage: GRAPHMAIL_LIBRARY=/path/to/libgraphmail.so python3 send_mail.py FROM TO SUBJECT

The client configuration comes from the environment (AZURE_TENANT_ID, AZURE_CLIENT_ID,
AZURE_CLIENT_SECRET, and for the local emulator AZURE_AUTHORITY_HOST, GRAPHMAIL_GRAPH_ENDPOINT,
GRAPHMAIL_CA_FILE): a NULL config makes graph_client_new read it.
"""
import ctypes
import json
import os
import sys

GRAPH_STATUS_OK = 0


def load(path):
    lib = ctypes.CDLL(path)
    lib.graph_version.restype = ctypes.c_char_p  # static string: never freed
    lib.graph_client_new.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_void_p)]
    lib.graph_client_new.restype = ctypes.c_int
    lib.graph_send_mail.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.graph_send_mail.restype = ctypes.c_int
    lib.graph_client_free.argtypes = [ctypes.c_void_p]
    lib.graph_string_free.argtypes = [ctypes.c_void_p]
    return lib


def take_string(lib, ptr):
    """Copy a library-owned string and free it with graph_string_free."""
    if not ptr.value:
        return None
    try:
        return ctypes.string_at(ptr.value).decode("utf-8")
    finally:
        lib.graph_string_free(ptr)


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 64
    lib = load(os.environ.get("GRAPHMAIL_LIBRARY", "libgraphmail.so"))
    print("GraphMail", lib.graph_version().decode(), file=sys.stderr)

    client, error = ctypes.c_void_p(), ctypes.c_void_p()
    status = lib.graph_client_new(None, ctypes.byref(client), ctypes.byref(error))
    if status != GRAPH_STATUS_OK:
        print("graph_client_new failed:", take_string(lib, error), file=sys.stderr)
        return 1
    try:
        message = {"from": argv[1], "to": [argv[2]], "subject": argv[3], "body": "Sent from Python via ctypes."}
        result = ctypes.c_void_p()
        status = lib.graph_send_mail(client, json.dumps(message).encode(), ctypes.byref(result))
        text = take_string(lib, result)
        if status != GRAPH_STATUS_OK:
            err = json.loads(text)["error"]
            print(f"send failed [{err['code']}]: {err['message']}", file=sys.stderr)
            return 1
        print(text)
        return 0
    finally:
        lib.graph_client_free(client)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
