// GraphMail.Native.cs: the C# interop between the GraphMail PowerShell module and the native
// GraphMail library (graphmail.dll / libgraphmail.so / libgraphmail.dylib; C ABI in
// include/graphmail.h, conventions in README.md "C ABI conventions").
//
// The module compiles this file with Add-Type on Windows PowerShell 5.1 and on PowerShell 7,
// together with GraphMail.Credentials.cs (certificate signing, Connect-GraphMail's options), so it
// is written in C# 5 (5.1's Add-Type uses the in-box .NET Framework compiler): both must compile
// with `mcs -langversion:5 -target:library` referencing only mscorlib and System.dll, what 5.1's
// Add-Type references by default (tests/csharp_interop.rs checks that). They reference no
// System.Management.Automation and no JSON library; error JSON is read with MiniJson below.
//
// Marshalling rules (shared/docs/style.md section 3.5):
//  * Every string the library returns is an IntPtr, decoded here as UTF-8 (scanning for the NUL
//    ourselves: Marshal.PtrToStringUTF8 does not exist on .NET Framework) and freed with
//    graph_string_free exactly once, in a finally block. Never declare such a return as `string`:
//    the marshaller would free it with CoTaskMemFree, on the wrong heap.
//  * graph_version() returns a static string that is never freed.
//  * Inputs are NUL-terminated UTF-8 byte[] (a `string` parameter would be marshalled as ANSI on
//    .NET Framework). A byte[] is blittable, so the marshaller pins it instead of copying it.
//  * A client and a background send live in SafeHandles, so each is freed exactly once, and never
//    while a call that uses it is still running on another thread.
//
// Background sends and sign-ins (GraphMailClient.StartSend, GraphMailSend; StartSignIn,
// GraphMailSignIn) are followed by polling, so PowerShell can run Write-Progress and show the
// device code instructions between two Wait calls on its own thread, and cancel on Ctrl+C. The
// library calls back into .NET from its own threads for one thing only: a certificate signer
// (graph_client_new_with_signer) signing a client assertion, which is plain C#, never a script
// block, and never throws into native code (GraphMail.Credentials.cs).
//
// Bulk sends (GraphMailClient.SendBatch, graph_send_mail_batch; Send-GraphMailBatch) block the
// calling thread until every message has been sent or has failed; the library runs them
// concurrently across mailboxes (at most 4 in flight per mailbox). Each message gets a
// GraphMailBatchResult, in input order: a failed message does not stop the others.
//
// Loading: DllImport("graphmail") stays a bare name. On Windows the module first preloads the
// DLL by full path (Native.PreloadWindows); on PowerShell 7 elsewhere GraphMail.NativeResolver.cs
// registers a resolver; under mono (the tests) LD_LIBRARY_PATH finds libgraphmail.so.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace GraphMail
{
    /// <summary>The P/Invoke declarations of the GraphMail C ABI, plus library loading helpers.</summary>
    public static class Native
    {
        /// <summary>The bare library name used by every DllImport (graphmail.dll, libgraphmail.so).</summary>
        public const string LibraryName = "graphmail";

        // graph_status is a C enum, i.e. an int: 0 OK, 1 INVALID_ARGUMENT, 2 AUTH, 3 GRAPH,
        // 4 NETWORK, 5 TLS, 6 IO, 7 TIMEOUT, 8 PANIC, 9 INTERNAL, 10 CANCELLED, 11 PENDING.

        /// <summary>GRAPH_STATUS_INTERNAL: a GraphMail bug.</summary>
        internal const int StatusInternal = 9;

        /// <summary>GRAPH_STATUS_CANCELLED: the caller cancelled the send; nothing was sent.</summary>
        internal const int StatusCancelled = 10;

        /// <summary>GRAPH_STATUS_PENDING: not an error, graph_send_wait timed out while the send runs.</summary>
        internal const int StatusPending = 11;

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr graph_version();

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int graph_client_new(byte[] configJson, out ClientHandle client, out IntPtr errorJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void graph_client_free(IntPtr client);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int graph_send_mail(ClientHandle client, byte[] messageJson, out IntPtr resultJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int graph_send_mail_preview(ClientHandle client, byte[] messageJson, out IntPtr previewJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int graph_send_mail_batch(ClientHandle client, byte[] messagesJson, out IntPtr resultsJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int graph_acquire_token(ClientHandle client, out IntPtr tokenJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int graph_send_mail_start(ClientHandle client, byte[] messageJson, out SendHandle send, out IntPtr errorJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int graph_send_progress(SendHandle send, out IntPtr progressJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void graph_send_cancel(SendHandle send);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int graph_send_wait(SendHandle send, uint timeoutMs, out IntPtr resultJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void graph_send_free(IntPtr send);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void graph_string_free(IntPtr s);

        /// <summary>graph_sign_callback: signs the bytes at data (size_t dataLength) with the
        /// algorithm named by the NUL-terminated string (PS256 or RS256), writes the signature to
        /// signatureOut (room for signatureCapacity bytes) and its length to *signatureLengthOut
        /// (a size_t), returns 0; non-zero is a failure. Called on a library thread.</summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int SignCallback(IntPtr userData, IntPtr algorithm, IntPtr data, UIntPtr dataLength,
            IntPtr signatureOut, UIntPtr signatureCapacity, IntPtr signatureLengthOut);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int graph_client_new_with_signer(byte[] configJson, SignCallback sign, IntPtr userData,
            out ClientHandle client, out IntPtr errorJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int graph_sign_in_start(ClientHandle client, out SendHandle send, out IntPtr errorJson);

        [DllImport("kernel32.dll", EntryPoint = "LoadLibraryW", CharSet = CharSet.Unicode, SetLastError = true)]
        private static extern IntPtr LoadLibraryW(string fileName);

        /// <summary>The native library's version (graph_version()), e.g. "0.1.0". The module
        /// compares it with its own version and refuses a mismatch.</summary>
        public static string Version()
        {
            // Static string owned by the library: decode it, never free it.
            return Utf8.Decode(graph_version(), false);
        }

        /// <summary>Windows only: loads the native library by full path (kernel32 LoadLibraryW), so
        /// the later DllImport("graphmail") binds to the already-loaded module of that name on both
        /// Windows PowerShell 5.1 and PowerShell 7. Returns false, without throwing, when the path is
        /// not a full path, the library cannot be loaded, or kernel32 does not exist (not Windows).
        /// The library stays loaded for the life of the process.</summary>
        public static bool PreloadWindows(string fullPath)
        {
            if (string.IsNullOrEmpty(fullPath) || fullPath.IndexOf('\0') >= 0)
            {
                return false;
            }
            try
            {
                if (!Path.IsPathRooted(fullPath))
                {
                    return false;
                }
                return LoadLibraryW(fullPath) != IntPtr.Zero;
            }
            catch (ArgumentException)
            {
                return false; // invalid path characters
            }
            catch (TypeLoadException)
            {
                return false; // DllNotFoundException / EntryPointNotFoundException: not Windows
            }
        }
    }

    /// <summary>Owns one graph_client pointer and frees it exactly once (graph_client_free).</summary>
    internal sealed class ClientHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        /// <summary>Called by the marshaller for the out parameter of graph_client_new.</summary>
        public ClientHandle() : base(true)
        {
        }

        /// <summary>The signer of a client made with graph_client_new_with_signer (one reference,
        /// released after graph_client_free), or null.</summary>
        internal SignerRegistration Signer { get; set; }

        protected override bool ReleaseHandle()
        {
            Native.graph_client_free(handle);
            SignerRegistration signer = Signer;
            if (signer != null)
            {
                signer.Release();
            }
            return true;
        }
    }

    /// <summary>Owns one graph_send pointer and frees it exactly once (graph_send_free, which cancels
    /// a send still running; its cleanup then finishes in the background).</summary>
    internal sealed class SendHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        /// <summary>Called by the marshaller for the out parameter of graph_send_mail_start.</summary>
        public SendHandle() : base(true)
        {
        }

        /// <summary>The client's signer (the operation keeps the native client, so it may still
        /// need a token: one reference, released after graph_send_free), or null.</summary>
        internal SignerRegistration Signer { get; set; }

        protected override bool ReleaseHandle()
        {
            Native.graph_send_free(handle);
            SignerRegistration signer = Signer;
            if (signer != null)
            {
                signer.Release();
            }
            return true;
        }
    }

    /// <summary>A GraphMail client: configuration, credential, token cache and one HTTP connection
    /// pool in the native library. Safe to use from several threads; dispose it when done.</summary>
    public sealed class GraphMailClient : IDisposable
    {
        private readonly ClientHandle handle;

        private GraphMailClient(ClientHandle handle)
        {
            this.handle = handle;
        }

        /// <summary>Creates a client from configuration JSON (keys tenantId, clientId, clientSecret,
        /// cloud, authorityHost, graphEndpoint, caCertificatePath, proxy, timeoutSeconds,
        /// connectTimeoutSeconds, useEnvironment, and the other credentials of README.md
        /// "Configuration"). Null reads everything from the environment (AZURE_TENANT_ID,
        /// AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, ...). No request is made. Throws
        /// GraphMailException when the configuration is refused.</summary>
        public static GraphMailClient Create(string configJson)
        {
            byte[] config = Utf8.Encode(configJson, "configJson"); // null stays null: NULL = environment
            try
            {
                return CreateFromBytes(config, null);
            }
            finally
            {
                // The JSON may hold a plain secret; do not leave an extra copy of it behind.
                if (config != null)
                {
                    Array.Clear(config, 0, config.Length);
                }
            }
        }

        /// <summary>Creates a client from configuration JSON without a clientSecret key, plus the
        /// secret as a SecureString, which is added to the JSON as "clientSecret" without ever
        /// becoming a managed string; every buffer that holds it is zeroed before this returns.
        /// A null or blank configJson means {"useEnvironment":true}: every other setting comes from
        /// the environment. Throws ArgumentException when configJson already has a clientSecret,
        /// and GraphMailException when the configuration is refused.</summary>
        public static GraphMailClient Create(string configJson, SecureString clientSecret)
        {
            if (clientSecret == null)
            {
                throw new ArgumentNullException("clientSecret");
            }
            string json = IsJsonBlank(configJson) ? "{\"useEnvironment\":true}" : configJson;
            int close = LastNonBlank(json, json.Length);
            if (close < 0 || json[close] != '}')
            {
                // Not a JSON object: the library refuses it whatever we add, so let it report the
                // real error (InvalidJson or InvalidConfig) without involving the secret.
                return Create(json);
            }
            Dictionary<string, object> parsed = MiniJson.TryParseObject(json);
            if (parsed != null && parsed.ContainsKey("clientSecret"))
            {
                throw new ArgumentException(
                    "The configuration JSON already has a clientSecret: give the secret either in the JSON or as a SecureString, not both.",
                    "configJson");
            }
            List<KeyValuePair<string, SecureString>> secrets = new List<KeyValuePair<string, SecureString>>();
            secrets.Add(new KeyValuePair<string, SecureString>("clientSecret", clientSecret));
            return CreateWithSecrets(json, secrets, null);
        }

        /// <summary>Creates a client from Connect-GraphMail's options: the configuration they give
        /// (GraphMailConnectOptions.ToConfigJson), their SecureStrings added without becoming
        /// managed strings, and for a certificate of the store (CertificateThumbprint) or a
        /// Certificate, a GraphMailCertificateSigner that signs the client assertions in .NET
        /// (graph_client_new_with_signer; PS256 when the key can do PSS, else RS256). No request
        /// is made. Throws GraphMailException when the certificate cannot be used (e.g.
        /// CertificateNotFound) or the configuration is refused.</summary>
        public static GraphMailClient CreateFromOptions(GraphMailConnectOptions options)
        {
            if (options == null)
            {
                throw new ArgumentNullException("options");
            }
            X509Certificate2 certificate = options.ResolveCertificate();
            GraphMailCertificateSigner signer = certificate == null ? null : new GraphMailCertificateSigner(certificate);
            string json = JsonText.Object(options.Entries(signer));
            return CreateWithSecrets(json, options.Secrets(), signer);
        }

        /// <summary>Creates a client whose client assertions <paramref name="signer"/> signs
        /// (graph_client_new_with_signer). configJson has the credential signingCertificate: the
        /// certificate's DER bytes in base64, or an array of them (the certificate first, then its
        /// chain), and optionally certificateAlgorithm (PS256, the default, or RS256) and
        /// sendCertificateChain. The library checks each signature against the certificate: a
        /// signer that fails, or signs with another key, makes the token request fail with
        /// SignerFailed (its message added), and nothing is sent. The signer stays referenced until
        /// the client and every operation started from it are disposed.</summary>
        public static GraphMailClient CreateWithSigner(string configJson, GraphMailSigner signer)
        {
            if (signer == null)
            {
                throw new ArgumentNullException("signer");
            }
            return CreateWithSecrets(configJson, new List<KeyValuePair<string, SecureString>>(), signer);
        }

        /// <summary>Sends a message (message JSON as documented in README.md "Messages"; attachments
        /// are full paths) through Graph sendMail and returns the success JSON
        /// ({"status":"sent", "requestId", ..., "warnings":[{"code","message","level"}]}).
        /// Throws GraphMailException on failure.</summary>
        public string SendMail(string messageJson)
        {
            return Call(Native.graph_send_mail, messageJson, "messageJson");
        }

        /// <summary>Sends many messages in one call (graph_send_mail_batch): messagesJson is a JSON
        /// array of message objects, each as for SendMail. The library checks each message on its
        /// own and sends the valid ones concurrently across mailboxes, at most 4 requests in flight
        /// per mailbox, holding back only a throttled mailbox. Returns one GraphMailBatchResult per
        /// message, in input order (Index 0, 1, ...): a sent message, or a failed one with its
        /// GraphMailException (ErrorCode, HttpStatus, RequestId, ...). Blocks until every message has
        /// been sent or has failed. Throws GraphMailException only when nothing could be sent:
        /// messagesJson is not valid JSON (InvalidJson) or not an array (InvalidMessage).</summary>
        public GraphMailBatchResult[] SendBatch(string messagesJson)
        {
            if (handle.IsClosed)
            {
                throw new ObjectDisposedException("GraphMailClient");
            }
            byte[] bytes = Utf8.Encode(messagesJson, "messagesJson");
            List<object> inputs = null;
            if (messagesJson != null)
            {
                try
                {
                    inputs = MiniJson.Parse(messagesJson) as List<object>;
                }
                catch (FormatException)
                {
                    inputs = null; // the library reports what is wrong with it
                }
            }
            return RunBatch(bytes, inputs, null, null);
        }

        /// <summary>Sends many messages in one call, as SendBatch(string) does, each given as its own
        /// message JSON object (for example the message JSON Send-GraphMailBatch builds per
        /// pipeline input). Result i belongs to messageJsons[i]. An entry that is not one complete
        /// JSON value is not sent: its result carries the library's InvalidJson error (an entry can
        /// never turn into two messages); a null entry fails with InvalidMessage. Throws
        /// ArgumentNullException for a null list and ArgumentException for an entry holding a NUL
        /// character, before anything is sent.</summary>
        public GraphMailBatchResult[] SendBatch(IList<string> messageJsons)
        {
            if (messageJsons == null)
            {
                throw new ArgumentNullException("messageJsons");
            }
            if (handle.IsClosed)
            {
                throw new ObjectDisposedException("GraphMailClient");
            }
            int count = messageJsons.Count;
            GraphMailBatchResult[] results = new GraphMailBatchResult[count];
            List<int> positions = new List<int>(count);
            List<object> inputs = new List<object>(count);
            StringBuilder array = new StringBuilder("[");
            for (int i = 0; i < count; i++)
            {
                string item = messageJsons[i] ?? "null";
                if (item.IndexOf('\0') >= 0)
                {
                    throw new ArgumentException(string.Format(CultureInfo.InvariantCulture,
                        "Message {0} contains a NUL character.", i), "messageJsons");
                }
                object parsed;
                try
                {
                    parsed = MiniJson.Parse(item);
                }
                catch (FormatException)
                {
                    // Not one JSON value: the library's own error for it (a preview sends nothing
                    // and fetches no token), so the other messages still go.
                    try
                    {
                        Call(Native.graph_send_mail_preview, item, "messageJsons");
                    }
                    catch (GraphMailException e)
                    {
                        results[i] = GraphMailBatchResult.Failed(i, null, null, e);
                        continue;
                    }
                    // The library reads what this reader refuses: let it send the message.
                    parsed = null;
                }
                if (positions.Count > 0)
                {
                    array.Append(',');
                }
                array.Append(item);
                positions.Add(i);
                inputs.Add(parsed);
            }
            array.Append(']');
            byte[] bytes = Utf8.Encode(array.ToString(), "messageJsons");
            return RunBatch(bytes, inputs, positions, results);
        }

        /// <summary>Starts sending a message (the same JSON as SendMail) in the background and returns
        /// at once. The message is checked first: invalid input throws GraphMailException here, as
        /// SendMail would, and nothing starts. Follow the send with GraphMailSend.Progress, stop it
        /// with Cancel, get its result with Wait, and Dispose it. The send keeps its own reference to
        /// the native client, so disposing this client does not stop it.</summary>
        public GraphMailSend StartSend(string messageJson)
        {
            byte[] bytes = Utf8.Encode(messageJson, "messageJson");
            return new GraphMailSend(Start(bytes, false));
        }

        /// <summary>Starts signing in in the background (graph_sign_in_start) and returns at once: it
        /// gets a token for the client's credential (from the cache when there is one), to check the
        /// credential, or to sign a user in with the device code flow before anything is sent.
        /// Poll it: GraphMailSignIn.TakeSignInPrompt gives the device code instructions once, Wait
        /// the result ({"status":"signedIn","tokenType","expiresOn","expiresOnUnix"}, never the
        /// token). Dispose it.</summary>
        public GraphMailSignIn StartSignIn()
        {
            return new GraphMailSignIn(Start(null, true));
        }

        /// <summary>Validates a message exactly as SendMail does but sends nothing; returns the
        /// request that would be sent ({"method","url","body","attachments","warnings"}), for
        /// -WhatIf. Throws GraphMailException when the message is invalid.</summary>
        public string PreviewMail(string messageJson)
        {
            return Call(Native.graph_send_mail_preview, messageJson, "messageJson");
        }

        /// <summary>Gets an access token for Graph (cached while it has more than 5 minutes left) and
        /// returns {"accessToken","expiresOn","expiresOnUnix","tokenType"}. The token is a bearer
        /// secret: do not log it. Throws GraphMailException on failure.</summary>
        public string AcquireTokenJson()
        {
            return Call(AcquireToken, null, null);
        }

        /// <summary>Frees the native client (graph_client_free). Safe to call more than once; a call
        /// still running on another thread finishes first. Later calls throw ObjectDisposedException.</summary>
        public void Dispose()
        {
            handle.Dispose();
        }

        private delegate int NativeCall(ClientHandle client, byte[] input, out IntPtr output);

        private static int AcquireToken(ClientHandle client, byte[] unused, out IntPtr output)
        {
            return Native.graph_acquire_token(client, out output);
        }

        /// <summary>graph_send_mail_start (the message bytes) or graph_sign_in_start: the operation's
        /// handle, holding a reference to the client's signer.</summary>
        private SendHandle Start(byte[] message, bool signIn)
        {
            if (handle.IsClosed)
            {
                throw new ObjectDisposedException("GraphMailClient");
            }
            SignerRegistration signer = handle.Signer;
            if (signer != null)
            {
                // Before the call: the client may be disposed on another thread right after it.
                signer.AddRef();
            }
            SendHandle started = null;
            IntPtr error = IntPtr.Zero;
            bool owned = false;
            try
            {
                int status = signIn
                    ? Native.graph_sign_in_start(handle, out started, out error)
                    : Native.graph_send_mail_start(handle, message, out started, out error);
                if (status == 0 && started != null && !started.IsInvalid)
                {
                    started.Signer = signer;
                    owned = true;
                    SendHandle result = started;
                    started = null; // owned by the operation now
                    return result;
                }
                throw GraphMailException.FromNative(status, Utf8.Decode(error, false), signer);
            }
            finally
            {
                Native.graph_string_free(error); // NULL is allowed
                if (started != null)
                {
                    started.Dispose(); // failure: an invalid handle, nothing to free
                }
                if (!owned && signer != null)
                {
                    signer.Release();
                }
            }
        }

        /// <summary>Runs one native call that returns a library-owned string: the result on success,
        /// error JSON (thrown as GraphMailException) on failure. The string is always freed.</summary>
        private string Call(NativeCall call, string input, string inputName)
        {
            if (handle.IsClosed)
            {
                throw new ObjectDisposedException("GraphMailClient");
            }
            byte[] bytes = input == null ? null : Utf8.Encode(input, inputName);
            IntPtr output = IntPtr.Zero;
            int status;
            string text;
            try
            {
                // The SafeHandle marshaller keeps the client alive for the duration of the call.
                status = call(handle, bytes, out output);
                text = Utf8.Decode(output, true);
            }
            finally
            {
                Native.graph_string_free(output); // NULL is allowed
            }
            if (status != 0 || text == null)
            {
                throw GraphMailException.FromNative(status, text, handle.Signer);
            }
            return text;
        }

        /// <summary>Runs graph_send_mail_batch on the array bytes and builds the results: entry k of
        /// the library's array goes to results[positions[k]] (positions null: k itself), with the
        /// input message inputs[k] (parsed; may be null) for its From, To and Subject. results null:
        /// a new array of the library's length.</summary>
        private GraphMailBatchResult[] RunBatch(byte[] bytes, IList<object> inputs, IList<int> positions, GraphMailBatchResult[] results)
        {
            IntPtr output = IntPtr.Zero;
            int status;
            string text;
            try
            {
                // The SafeHandle marshaller keeps the client alive for the duration of the call.
                status = Native.graph_send_mail_batch(handle, bytes, out output);
                text = Utf8.Decode(output, false);
            }
            finally
            {
                Native.graph_string_free(output); // NULL is allowed
            }
            List<string> entries = text == null ? null : MiniJson.TryParseArrayElements(text);
            if (entries == null)
            {
                // Nothing was sent: the whole call was refused (error JSON, not an array).
                throw GraphMailException.FromNative(status == 0 ? Native.StatusInternal : status, text, handle.Signer);
            }
            int expected = positions != null ? positions.Count : (inputs != null ? inputs.Count : entries.Count);
            if (entries.Count != expected)
            {
                throw GraphMailException.Local(Native.StatusInternal, "Internal", "internal", null, string.Format(CultureInfo.InvariantCulture,
                    "The GraphMail library returned {0} results for {1} messages (a GraphMail bug: please report it).", entries.Count, expected));
            }
            if (results == null)
            {
                results = new GraphMailBatchResult[entries.Count];
            }
            for (int k = 0; k < entries.Count; k++)
            {
                int index = positions != null ? positions[k] : k;
                Dictionary<string, object> input = inputs != null ? inputs[k] as Dictionary<string, object> : null;
                results[index] = GraphMailBatchResult.FromLibrary(index, input, entries[k], handle.Signer);
            }
            return results;
        }

        /// <summary>Creates the client from JSON plus secrets: each SecureString is appended to the
        /// JSON object as "key":"value" straight into one pinned byte[] (never a managed string),
        /// and every buffer that held a secret is zeroed before this returns. With a signer, the
        /// client is made with graph_client_new_with_signer. A json that is not an object ending in
        /// '}' gets no secrets: the library reports what is wrong with it.</summary>
        internal static GraphMailClient CreateWithSecrets(string json, IList<KeyValuePair<string, SecureString>> secrets, GraphMailSigner signer)
        {
            int close = json == null ? -1 : LastNonBlank(json, json.Length);
            if (secrets.Count == 0 || close < 0 || json[close] != '}')
            {
                byte[] plain = Utf8.Encode(json, "configJson");
                try
                {
                    return CreateFromBytes(plain, signer);
                }
                finally
                {
                    if (plain != null)
                    {
                        Array.Clear(plain, 0, plain.Length);
                    }
                }
            }

            // The bytes become: <json up to its closing brace> then, for each secret,
            // [","] "key":"<escaped>"; then } NUL.
            int previous = LastNonBlank(json, close);
            bool empty = previous >= 0 && json[previous] == '{';
            byte[] headBytes = Utf8.Encode(json.Substring(0, close), "configJson");
            int headLength = headBytes.Length - 1; // without its NUL
            byte[][] prefixes = new byte[secrets.Count][];
            IntPtr[] chars = new IntPtr[secrets.Count];
            int[] counts = new int[secrets.Count];
            byte[] config = null;
            GCHandle pin = new GCHandle();
            try
            {
                int total = headLength + 2;
                for (int i = 0; i < secrets.Count; i++)
                {
                    if (secrets[i].Value == null)
                    {
                        throw new ArgumentNullException(secrets[i].Key);
                    }
                    string prefix = (i == 0 && empty ? "" : ",") + JsonText.Quote(secrets[i].Key) + ":\"";
                    prefixes[i] = Utf8.Encode(prefix, "configJson");
                    chars[i] = Marshal.SecureStringToGlobalAllocUnicode(secrets[i].Value);
                    counts[i] = secrets[i].Value.Length;
                    total += prefixes[i].Length - 1 + SecretJson.Escape(chars[i], counts[i], null, 0, secrets[i].Key) + 1;
                }
                config = new byte[total];
                // Pinned before a secret is written, so the GC never copies it elsewhere.
                pin = GCHandle.Alloc(config, GCHandleType.Pinned);
                Buffer.BlockCopy(headBytes, 0, config, 0, headLength);
                int at = headLength;
                for (int i = 0; i < secrets.Count; i++)
                {
                    Buffer.BlockCopy(prefixes[i], 0, config, at, prefixes[i].Length - 1);
                    at += prefixes[i].Length - 1;
                    at += SecretJson.Escape(chars[i], counts[i], config, at, secrets[i].Key);
                    config[at++] = (byte)'"';
                }
                config[at] = (byte)'}';
                config[at + 1] = 0;
                return CreateFromBytes(config, signer);
            }
            finally
            {
                if (config != null)
                {
                    Array.Clear(config, 0, config.Length);
                }
                if (pin.IsAllocated)
                {
                    pin.Free();
                }
                for (int i = 0; i < chars.Length; i++)
                {
                    if (chars[i] != IntPtr.Zero)
                    {
                        Marshal.ZeroFreeGlobalAllocUnicode(chars[i]);
                    }
                }
            }
        }

        private static GraphMailClient CreateFromBytes(byte[] config, GraphMailSigner signer)
        {
            ClientHandle created = null;
            IntPtr error = IntPtr.Zero;
            SignerRegistration registration = signer == null ? null : SignerRegistration.Register(signer);
            try
            {
                int status = registration == null
                    ? Native.graph_client_new(config, out created, out error)
                    : Native.graph_client_new_with_signer(config, SignerRegistration.Callback, registration.UserData, out created, out error);
                if (status == 0 && created != null && !created.IsInvalid)
                {
                    created.Signer = registration;
                    registration = null; // released with the client
                    GraphMailClient client = new GraphMailClient(created);
                    created = null; // owned by the client now
                    return client;
                }
                throw GraphMailException.FromNative(status, Utf8.Decode(error, false));
            }
            finally
            {
                Native.graph_string_free(error); // NULL is allowed
                if (created != null)
                {
                    created.Dispose(); // failure: an invalid handle, nothing to free
                }
                if (registration != null)
                {
                    registration.Release(); // no client was made
                }
            }
        }

        private static bool IsJsonBlank(string s)
        {
            return s == null || LastNonBlank(s, s.Length) < 0;
        }

        /// <summary>Index of the last character before <paramref name="end"/> that is not JSON
        /// whitespace (space, tab, CR, LF), or -1.</summary>
        private static int LastNonBlank(string s, int end)
        {
            for (int i = end - 1; i >= 0; i--)
            {
                char c = s[i];
                if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
                {
                    return i;
                }
            }
            return -1;
        }
    }

    /// <summary>A send (graph_send_mail_start) or sign-in (graph_sign_in_start) running in the
    /// background: polled from the caller's thread, freed once. Shared by GraphMailSend and
    /// GraphMailSignIn.</summary>
    internal sealed class Operation
    {
        private readonly SendHandle handle;
        private readonly string typeName;
        private readonly object gate = new object();
        private string shownPrompt;

        internal Operation(SendHandle handle, string typeName)
        {
            this.handle = handle;
            this.typeName = typeName;
        }

        internal GraphMailProgress Progress()
        {
            ThrowIfDisposed();
            IntPtr output = IntPtr.Zero;
            int status;
            string text;
            try
            {
                status = Native.graph_send_progress(handle, out output);
                text = Utf8.Decode(output, false);
            }
            finally
            {
                Native.graph_string_free(output); // NULL is allowed
            }
            if (status != 0 || text == null)
            {
                throw GraphMailException.FromNative(status, text);
            }
            Dictionary<string, object> o = MiniJson.TryParseObject(text);
            if (o == null)
            {
                throw GraphMailException.FromNative(Native.StatusInternal, null);
            }
            Dictionary<string, object> signIn = MiniJson.GetObject(o, "signIn");
            return new GraphMailProgress(
                MiniJson.GetString(o, "step"),
                MiniJson.GetLong(o, "bytesSent"),
                MiniJson.GetLong(o, "bytesTotal"),
                MiniJson.GetBool(o, "done"),
                MiniJson.GetBool(o, "cancelRequested"),
                signIn == null ? null : new GraphMailSignInPrompt(
                    MiniJson.GetString(signIn, "message"),
                    MiniJson.GetString(signIn, "userCode"),
                    MiniJson.GetString(signIn, "verificationUri"),
                    MiniJson.GetString(signIn, "expiresOn")));
        }

        /// <summary>The device code prompt the first time it is seen (one per user code), else null.</summary>
        internal GraphMailSignInPrompt TakeSignInPrompt()
        {
            GraphMailSignInPrompt prompt = Progress().SignIn;
            if (prompt == null)
            {
                return null;
            }
            string key = prompt.UserCode + "\n" + prompt.Message;
            lock (gate)
            {
                if (key == shownPrompt)
                {
                    return null;
                }
                shownPrompt = key;
            }
            return prompt;
        }

        internal void Cancel()
        {
            ThrowIfDisposed();
            Native.graph_send_cancel(handle);
        }

        internal bool Wait(int milliseconds, out string resultJson)
        {
            if (milliseconds < -1)
            {
                throw new ArgumentOutOfRangeException("milliseconds", milliseconds, "The timeout must be -1 (no limit), 0 or more milliseconds.");
            }
            ThrowIfDisposed();
            resultJson = null;
            uint timeout = milliseconds == -1 ? uint.MaxValue : (uint)milliseconds;
            IntPtr output = IntPtr.Zero;
            int status;
            string text;
            try
            {
                // The SafeHandle marshaller keeps the operation alive while this thread waits in it.
                status = Native.graph_send_wait(handle, timeout, out output);
                text = Utf8.Decode(output, false);
            }
            finally
            {
                Native.graph_string_free(output); // NULL is allowed
            }
            if (status == Native.StatusPending)
            {
                return false;
            }
            if (status != 0 || text == null)
            {
                throw GraphMailException.FromNative(status, text, handle.Signer);
            }
            resultJson = text;
            return true;
        }

        internal void Dispose()
        {
            handle.Dispose();
        }

        private void ThrowIfDisposed()
        {
            if (handle.IsClosed)
            {
                throw new ObjectDisposedException(typeName);
            }
        }
    }

    /// <summary>A send running in the background, from GraphMailClient.StartSend. Poll it (Progress,
    /// Wait with a short timeout) from the caller's thread; nothing calls back into .NET but a
    /// certificate signer. Dispose frees it, which cancels a send still running: call Cancel and
    /// Wait first when the cleanup (deleting the upload session and the draft) must be finished
    /// before going on, e.g. before the process exits. Safe to use from several threads.</summary>
    public sealed class GraphMailSend : IDisposable
    {
        private readonly Operation operation;

        internal GraphMailSend(SendHandle handle)
        {
            operation = new Operation(handle, "GraphMailSend");
        }

        /// <summary>Where the send is now (graph_send_progress). Throws ObjectDisposedException after
        /// Dispose.</summary>
        public GraphMailProgress Progress()
        {
            return operation.Progress();
        }

        /// <summary>The device code sign-in instructions when this send waits for a user to sign in
        /// (a device code client whose refresh token no longer works): returned once per code, null
        /// otherwise.</summary>
        public GraphMailSignInPrompt TakeSignInPrompt()
        {
            return operation.TakeSignInPrompt();
        }

        /// <summary>Asks the send to stop (graph_send_cancel) and returns at once. The library stops
        /// between requests or abandons the one in flight, deletes the upload session and the draft
        /// it created, and the send ends with a GraphMailException whose ErrorCode is "Cancelled";
        /// a send that already finished keeps its result. Wait gives the outcome.</summary>
        public void Cancel()
        {
            operation.Cancel();
        }

        /// <summary>Waits up to <paramref name="milliseconds"/> (0: just look; -1: until the send
        /// ends) for the send to finish (graph_send_wait). Returns false while it is still running
        /// (<paramref name="resultJson"/> null); true when it finished successfully, with the result
        /// JSON that SendMail returns. Throws GraphMailException when the send failed, or was
        /// cancelled (ErrorCode "Cancelled", not terminating). May be called again after the end:
        /// it reports the same outcome.</summary>
        public bool Wait(int milliseconds, out string resultJson)
        {
            return operation.Wait(milliseconds, out resultJson);
        }

        /// <summary>Frees the native send (graph_send_free). A send still running is cancelled, and
        /// its cleanup finishes in the background. Safe to call more than once; later calls of the
        /// other members throw ObjectDisposedException.</summary>
        public void Dispose()
        {
            operation.Dispose();
        }
    }

    /// <summary>A sign-in running in the background, from GraphMailClient.StartSignIn: Connect-GraphMail
    /// polls it, shows the device code instructions (TakeSignInPrompt) once, and gets the outcome
    /// from Wait. Dispose frees it (a sign-in still running is cancelled).</summary>
    public sealed class GraphMailSignIn : IDisposable
    {
        private readonly Operation operation;

        internal GraphMailSignIn(SendHandle handle)
        {
            operation = new Operation(handle, "GraphMailSignIn");
        }

        /// <summary>Where the sign-in is (step authenticating, then done; SignIn while a device code
        /// sign-in waits for the user).</summary>
        public GraphMailProgress Progress()
        {
            return operation.Progress();
        }

        /// <summary>The device code instructions (Message: "To sign in, use a web browser to open
        /// the page ... and enter the code ..."), the first time they are seen for a code; null
        /// before, after, for the same code again, and for other credentials.</summary>
        public GraphMailSignInPrompt TakeSignInPrompt()
        {
            return operation.TakeSignInPrompt();
        }

        /// <summary>Stops waiting for the sign-in; Wait then throws ErrorCode "Cancelled".</summary>
        public void Cancel()
        {
            operation.Cancel();
        }

        /// <summary>Waits up to <paramref name="milliseconds"/> (0: just look; -1: until the end).
        /// False while signing in; true once signed in, with
        /// {"status":"signedIn","tokenType","expiresOn","expiresOnUnix"} (never the token). Throws
        /// GraphMailException when the sign-in failed (e.g. InvalidClientSecret, SignerFailed,
        /// DeviceCodeExpired, DeviceCodeDeclined, ManagedIdentityUnavailable).</summary>
        public bool Wait(int milliseconds, out string resultJson)
        {
            return operation.Wait(milliseconds, out resultJson);
        }

        /// <summary>Frees the sign-in. Safe to call more than once.</summary>
        public void Dispose()
        {
            operation.Dispose();
        }
    }

    /// <summary>A snapshot of a background send or sign-in (GraphMailSend.Progress,
    /// GraphMailSignIn.Progress).</summary>
    public sealed class GraphMailProgress
    {
        internal GraphMailProgress(string step, long bytesSent, long bytesTotal, bool done, bool cancelRequested,
            GraphMailSignInPrompt signIn)
        {
            Step = step ?? string.Empty;
            BytesSent = bytesSent;
            BytesTotal = bytesTotal;
            Done = done;
            CancelRequested = cancelRequested;
            SignIn = signIn;
        }

        /// <summary>What the send is doing: pending, preparing, authenticating, sending,
        /// creatingDraft, uploading, sendingDraft, cleaningUp or done.</summary>
        public string Step { get; private set; }

        /// <summary>Attachment bytes uploaded so far.</summary>
        public long BytesSent { get; private set; }

        /// <summary>The total size of the attachments; 0 when there are none.</summary>
        public long BytesTotal { get; private set; }

        /// <summary>True once the send has ended (successfully or not): Wait returns at once.</summary>
        public bool Done { get; private set; }

        /// <summary>True once Cancel (or Dispose of a running send) has been called.</summary>
        public bool CancelRequested { get; private set; }

        /// <summary>While a device code sign-in waits for the user: its instructions; else null.</summary>
        public GraphMailSignInPrompt SignIn { get; private set; }

        /// <summary>e.g. "uploading 3276800/10485760".</summary>
        public override string ToString()
        {
            return string.Format(CultureInfo.InvariantCulture, "{0} {1}/{2}{3}{4}{5}", Step, BytesSent, BytesTotal,
                Done ? " done" : "", CancelRequested ? " cancelRequested" : "", SignIn != null ? " signIn" : "");
        }
    }

    /// <summary>The instructions of a device code sign-in waiting for the user.</summary>
    public sealed class GraphMailSignInPrompt
    {
        internal GraphMailSignInPrompt(string message, string userCode, string verificationUri, string expiresOn)
        {
            Message = message ?? string.Empty;
            UserCode = userCode ?? string.Empty;
            VerificationUri = verificationUri ?? string.Empty;
            ExpiresOn = expiresOn ?? string.Empty;
        }

        /// <summary>What to show the user: "To sign in, use a web browser to open the page
        /// https://microsoft.com/devicelogin and enter the code ABCD1234 to authenticate."</summary>
        public string Message { get; private set; }

        /// <summary>The code to enter.</summary>
        public string UserCode { get; private set; }

        /// <summary>The page to open.</summary>
        public string VerificationUri { get; private set; }

        /// <summary>When the code expires (RFC 3339).</summary>
        public string ExpiresOn { get; private set; }

        /// <summary>The message.</summary>
        public override string ToString()
        {
            return Message;
        }
    }

    /// <summary>The outcome of one message of GraphMailClient.SendBatch: sent (Succeeded, with the
    /// library's report) or failed (Error, ErrorCode). From, To and Subject are the message's, as
    /// given in the input, so a failed message can be told apart too.</summary>
    public sealed class GraphMailBatchResult
    {
        private static readonly string[] NoStrings = new string[0];
        private static readonly GraphMailWarning[] NoWarnings = new GraphMailWarning[0];

        private GraphMailBatchResult()
        {
        }

        /// <summary>The message's position in the input, from 0.</summary>
        public int Index { get; private set; }

        /// <summary>True when Graph accepted the message.</summary>
        public bool Succeeded { get; private set; }

        /// <summary>The input message's from, or null when it had none.</summary>
        public string From { get; private set; }

        /// <summary>The input message's to, one element per string given (an element may be a
        /// comma or semicolon separated list); empty when it had none.</summary>
        public string[] To { get; private set; }

        /// <summary>The input message's subject, or null.</summary>
        public string Subject { get; private set; }

        /// <summary>How it was sent: "sendMail" or "draft" (large attachments); null when it failed.</summary>
        public string Path { get; private set; }

        /// <summary>Graph's HTTP status: 202 when sent; on a failure the status of the failed
        /// request, or 0 when no request was made (e.g. invalid input).</summary>
        public int HttpStatus { get; private set; }

        /// <summary>Graph's request-id of the send (or of the failed request), or null.</summary>
        public string RequestId { get; private set; }

        /// <summary>The client-request-id GraphMail sent, or null when it failed.</summary>
        public string ClientRequestId { get; private set; }

        /// <summary>The library's warnings for a sent message (e.g. a DeliveryNotificationOption
        /// with no Graph equivalent); empty when it failed.</summary>
        public GraphMailWarning[] Warnings { get; private set; }

        /// <summary>The stable error code (e.g. "MailboxNotFound", "InvalidAddress"), or null when sent.</summary>
        public string ErrorCode { get; private set; }

        /// <summary>The failure, with the library's message, code, HTTP status and request id;
        /// null when sent.</summary>
        public GraphMailException Error { get; private set; }

        /// <summary>The library's JSON for this message: the send report, or {"error": {...}}.</summary>
        public string ResultJson { get; private set; }

        /// <summary>e.g. "2 sent alerts@contoso.com: Backup done" or "3 failed MailboxNotFound: ...".</summary>
        public override string ToString()
        {
            if (Succeeded)
            {
                return string.Format(CultureInfo.InvariantCulture, "{0} sent {1}: {2}", Index, string.Join(", ", To), Subject);
            }
            return string.Format(CultureInfo.InvariantCulture, "{0} failed {1}: {2}", Index, ErrorCode, Error.Message);
        }

        /// <summary>A result from the library's entry for the message at <paramref name="index"/>:
        /// its report, or {"error": {...}}.</summary>
        internal static GraphMailBatchResult FromLibrary(int index, Dictionary<string, object> input, string entryJson,
            SignerRegistration signer)
        {
            Dictionary<string, object> entry = MiniJson.TryParseObject(entryJson);
            Dictionary<string, object> error = MiniJson.GetObject(entry, "error");
            if (entry == null || error != null || MiniJson.GetString(entry, "status") != "sent")
            {
                string code = MiniJson.GetString(error, "code");
                int status = GraphMailException.StatusOf(MiniJson.GetString(error, "kind"), code);
                GraphMailException e = GraphMailException.FromNative(status, entryJson, signer);
                return Failed(index, input, entryJson, e);
            }
            GraphMailBatchResult r = WithInput(index, input);
            r.Succeeded = true;
            r.Path = MiniJson.GetString(entry, "path");
            r.HttpStatus = MiniJson.GetInt(entry, "httpStatus");
            r.RequestId = MiniJson.GetString(entry, "requestId");
            r.ClientRequestId = MiniJson.GetString(entry, "clientRequestId");
            List<GraphMailWarning> warnings = new List<GraphMailWarning>();
            List<object> list = MiniJson.GetArray(entry, "warnings");
            if (list != null)
            {
                foreach (object item in list)
                {
                    Dictionary<string, object> w = item as Dictionary<string, object>;
                    if (w != null)
                    {
                        warnings.Add(new GraphMailWarning(MiniJson.GetString(w, "code"), MiniJson.GetString(w, "level"),
                            MiniJson.GetString(w, "message")));
                    }
                }
            }
            r.Warnings = warnings.ToArray();
            r.ResultJson = entryJson;
            return r;
        }

        /// <summary>A failed message: its error, and the library's JSON for it (the error's JSON
        /// when null).</summary>
        internal static GraphMailBatchResult Failed(int index, Dictionary<string, object> input, string entryJson, GraphMailException error)
        {
            GraphMailBatchResult r = WithInput(index, input);
            r.Error = error;
            r.ErrorCode = error.ErrorCode;
            r.HttpStatus = error.HttpStatus;
            r.RequestId = error.RequestId;
            r.ResultJson = entryJson ?? error.ErrorJson;
            return r;
        }

        private static GraphMailBatchResult WithInput(int index, Dictionary<string, object> input)
        {
            GraphMailBatchResult r = new GraphMailBatchResult();
            r.Index = index;
            r.From = MiniJson.GetString(input, "from");
            r.Subject = MiniJson.GetString(input, "subject");
            r.To = NoStrings;
            object to;
            if (input != null && input.TryGetValue("to", out to))
            {
                string one = to as string;
                List<object> many = to as List<object>;
                if (one != null)
                {
                    r.To = new string[] { one };
                }
                else if (many != null)
                {
                    List<string> strings = new List<string>();
                    foreach (object item in many)
                    {
                        string s = item as string;
                        if (s != null)
                        {
                            strings.Add(s);
                        }
                    }
                    r.To = strings.ToArray();
                }
            }
            r.Warnings = NoWarnings;
            return r;
        }
    }

    /// <summary>A warning of the library about a sent message: the message differs from what was
    /// asked (Level "warning"), or a setting does not apply to Graph (Level "verbose").</summary>
    public sealed class GraphMailWarning
    {
        internal GraphMailWarning(string code, string level, string message)
        {
            Code = code ?? string.Empty;
            Level = level ?? "warning";
            Message = message ?? string.Empty;
        }

        /// <summary>The stable warning code, e.g. "DeliveryNotificationOptionUnsupported".</summary>
        public string Code { get; private set; }

        /// <summary>"warning" or "verbose".</summary>
        public string Level { get; private set; }

        /// <summary>What the library says.</summary>
        public string Message { get; private set; }

        /// <summary>The message.</summary>
        public override string ToString()
        {
            return Message;
        }
    }

    /// <summary>A failure reported by the GraphMail library (or found by the module's own checks,
    /// such as CertificateNotFound). Message is the library's message (it says what to fix);
    /// ErrorCode is its stable code (README.md "Error codes").</summary>
    public sealed class GraphMailException : Exception
    {
        private GraphMailException(string message) : base(message)
        {
        }

        /// <summary>The graph_status number: 1 INVALID_ARGUMENT, 2 AUTH, 3 GRAPH, 4 NETWORK, 5 TLS,
        /// 6 IO, 7 TIMEOUT, 8 PANIC, 9 INTERNAL, 10 CANCELLED.</summary>
        public int Status { get; private set; }

        /// <summary>The stable error code, e.g. "MailboxNotFound"; the module's ErrorId.</summary>
        public string ErrorCode { get; private set; }

        /// <summary>invalidInput, auth, graph, network, tls, io, timeout, cancelled or internal.</summary>
        public string Kind { get; private set; }

        /// <summary>The HTTP status from Graph or the token endpoint, 0 if none.</summary>
        public int HttpStatus { get; private set; }

        /// <summary>Graph's error code (e.g. "ErrorInvalidUser"), or null.</summary>
        public string GraphCode { get; private set; }

        /// <summary>The request-id of the failed request, or null.</summary>
        public string RequestId { get; private set; }

        /// <summary>The input field at fault (e.g. "from", "to[1]", "attachments[0]"), or null.</summary>
        public string Field { get; private set; }

        /// <summary>The library's error JSON, as returned.</summary>
        public string ErrorJson { get; private set; }

        /// <summary>The name of the System.Management.Automation.ErrorCategory that fits.</summary>
        public string CategoryName { get; private set; }

        /// <summary>True when Send-MailMessage would stop the pipeline: a bad or missing From, or a
        /// missing or unreadable attachment. False for a failed send (a non-terminating error).</summary>
        public bool IsTerminating { get; private set; }

        /// <summary>Builds the exception from a status and the library's error JSON (may be null).</summary>
        internal static GraphMailException FromNative(int status, string errorJson)
        {
            return FromNative(status, errorJson, null);
        }

        /// <summary>As FromNative; for SignerFailed, the message of the signer's failure (if it
        /// reported one) is added.</summary>
        internal static GraphMailException FromNative(int status, string errorJson, SignerRegistration signer)
        {
            Dictionary<string, object> error = null;
            Dictionary<string, object> root = errorJson == null ? null : MiniJson.TryParseObject(errorJson);
            if (root != null)
            {
                error = MiniJson.GetObject(root, "error");
            }
            string message = error == null ? null : MiniJson.GetString(error, "message");
            if (string.IsNullOrEmpty(message))
            {
                message = string.Format(CultureInfo.InvariantCulture,
                    "The GraphMail library failed with status {0} and returned no readable error (a GraphMail bug: please report it).",
                    status);
            }
            if (signer != null && error != null && MiniJson.GetString(error, "code") == "SignerFailed")
            {
                string detail = signer.Signer.TakeLastError();
                if (!string.IsNullOrEmpty(detail))
                {
                    message = message.TrimEnd() + " The signer reported: " + detail;
                }
            }
            GraphMailException e = new GraphMailException(message);
            e.Status = status;
            e.ErrorJson = errorJson;
            if (error != null)
            {
                e.ErrorCode = MiniJson.GetString(error, "code");
                e.Kind = MiniJson.GetString(error, "kind");
                e.HttpStatus = MiniJson.GetInt(error, "httpStatus");
                e.GraphCode = MiniJson.GetString(error, "graphCode");
                e.RequestId = MiniJson.GetString(error, "requestId");
                e.Field = MiniJson.GetString(error, "field");
            }
            e.Complete(status);
            return e;
        }

        /// <summary>An error found by the module itself, before the library is involved (e.g. a
        /// certificate not in the store): the same shape as the library's errors, with error JSON
        /// of the library's form.</summary>
        internal static GraphMailException Local(int status, string code, string kind, string field, string message)
        {
            GraphMailException e = new GraphMailException(message);
            e.Status = status;
            e.ErrorCode = code;
            e.Kind = kind;
            e.Field = field;
            List<KeyValuePair<string, object>> details = new List<KeyValuePair<string, object>>();
            details.Add(new KeyValuePair<string, object>("code", code));
            details.Add(new KeyValuePair<string, object>("kind", kind));
            details.Add(new KeyValuePair<string, object>("message", message));
            details.Add(new KeyValuePair<string, object>("httpStatus", null));
            details.Add(new KeyValuePair<string, object>("graphCode", null));
            details.Add(new KeyValuePair<string, object>("requestId", null));
            details.Add(new KeyValuePair<string, object>("field", field));
            List<KeyValuePair<string, object>> root = new List<KeyValuePair<string, object>>();
            root.Add(new KeyValuePair<string, object>("error", new JsonText.Raw(JsonText.Object(details))));
            e.ErrorJson = JsonText.Object(root);
            e.Complete(status);
            return e;
        }

        private void Complete(int status)
        {
            if (string.IsNullOrEmpty(ErrorCode))
            {
                ErrorCode = "Internal";
            }
            if (string.IsNullOrEmpty(Kind))
            {
                Kind = KindOfStatus(status);
            }
            CategoryName = Category(Kind, ErrorCode, HttpStatus);
            IsTerminating = Field == "from" || ErrorCode == "MissingFrom"
                || ErrorCode == "AttachmentNotFound" || ErrorCode == "AttachmentUnreadable";
        }

        /// <summary>The graph_status of a failure of this kind (the library's error JSON has no
        /// status, e.g. for one message of a batch): Panic 8, invalidInput 1, auth 2, graph 3,
        /// network 4, tls 5, io 6, timeout 7, cancelled 10, anything else 9 (internal).</summary>
        internal static int StatusOf(string kind, string code)
        {
            if (code == "Panic")
            {
                return 8;
            }
            switch (kind)
            {
                case "invalidInput": return 1;
                case "auth": return 2;
                case "graph": return 3;
                case "network": return 4;
                case "tls": return 5;
                case "io": return 6;
                case "timeout": return 7;
                case "cancelled": return Native.StatusCancelled;
                default: return Native.StatusInternal;
            }
        }

        private static string KindOfStatus(int status)
        {
            switch (status)
            {
                case 1: return "invalidInput";
                case 2: return "auth";
                case 3: return "graph";
                case 4: return "network";
                case 5: return "tls";
                case 6: return "io";
                case 7: return "timeout";
                case 10: return "cancelled";
                default: return "internal";
            }
        }

        private static string Category(string kind, string code, int httpStatus)
        {
            switch (kind)
            {
                case "invalidInput": return "InvalidArgument";
                case "io": return code == "AttachmentNotFound" || code == "CertificateNotFound" ? "ObjectNotFound" : "ReadError";
                case "auth": return "AuthenticationError";
                case "graph":
                    if (httpStatus == 403) return "PermissionDenied";
                    if (httpStatus == 404) return "ObjectNotFound";
                    if (httpStatus == 429 || httpStatus >= 500) return "ResourceUnavailable";
                    return "InvalidOperation";
                case "network": return "ConnectionError";
                case "tls": return "SecurityError";
                case "timeout": return "OperationTimeout";
                case "cancelled": return "OperationStopped";
                default: return "NotSpecified";
            }
        }
    }

    /// <summary>UTF-8 conversions between .NET strings and the library's NUL-terminated strings.</summary>
    internal static class Utf8
    {
        // Strict: a lone surrogate is refused instead of silently becoming U+FFFD.
        private static readonly UTF8Encoding Strict = new UTF8Encoding(false, true);

        /// <summary>The NUL-terminated UTF-8 bytes of <paramref name="s"/>; null for null. Throws
        /// ArgumentException for an embedded NUL (the library would silently stop reading there)
        /// or invalid UTF-16.</summary>
        internal static byte[] Encode(string s, string paramName)
        {
            if (s == null)
            {
                return null;
            }
            if (s.IndexOf('\0') >= 0)
            {
                throw new ArgumentException("The text contains a NUL character.", paramName);
            }
            byte[] bytes;
            try
            {
                bytes = new byte[Strict.GetByteCount(s) + 1];
                Strict.GetBytes(s, 0, s.Length, bytes, 0);
            }
            catch (EncoderFallbackException e)
            {
                throw new ArgumentException("The text is not valid Unicode: " + e.Message, paramName);
            }
            return bytes; // the last byte is already 0
        }

        /// <summary>Decodes a NUL-terminated UTF-8 string; null for IntPtr.Zero. Does not free it.
        /// With <paramref name="wipe"/>, the temporary byte copy is zeroed (token JSON).</summary>
        internal static string Decode(IntPtr p, bool wipe)
        {
            if (p == IntPtr.Zero)
            {
                return null;
            }
            int length = 0;
            while (Marshal.ReadByte(p, length) != 0)
            {
                length++;
            }
            byte[] bytes = new byte[length];
            try
            {
                Marshal.Copy(p, bytes, 0, length);
                return Encoding.UTF8.GetString(bytes);
            }
            finally
            {
                if (wipe)
                {
                    Array.Clear(bytes, 0, bytes.Length);
                }
            }
        }
    }

    /// <summary>Writes a secret held in unmanaged UTF-16 memory as the inside of a JSON string, in
    /// UTF-8, straight into a byte[]: no managed string of the secret is ever made.</summary>
    internal static class SecretJson
    {
        /// <summary>Escapes <paramref name="count"/> UTF-16 units at <paramref name="chars"/> into
        /// <paramref name="dest"/> at <paramref name="offset"/> and returns the number of bytes;
        /// with a null dest it only counts them. Throws ArgumentException for a lone surrogate,
        /// naming <paramref name="key"/> (the configuration key, e.g. clientSecret).</summary>
        internal static int Escape(IntPtr chars, int count, byte[] dest, int offset, string key)
        {
            int n = offset;
            for (int i = 0; i < count; i++)
            {
                int c = (ushort)Marshal.ReadInt16(chars, 2 * i);
                if (c == '"' || c == '\\')
                {
                    Put(dest, ref n, '\\');
                    Put(dest, ref n, c);
                }
                else if (c < 0x20)
                {
                    // A control character, as \u00XX.
                    Put(dest, ref n, '\\');
                    Put(dest, ref n, 'u');
                    Put(dest, ref n, '0');
                    Put(dest, ref n, '0');
                    Put(dest, ref n, Hex(c >> 4));
                    Put(dest, ref n, Hex(c & 0xF));
                }
                else if (c < 0x80)
                {
                    Put(dest, ref n, c);
                }
                else if (c < 0x800)
                {
                    Put(dest, ref n, 0xC0 | (c >> 6));
                    Put(dest, ref n, 0x80 | (c & 0x3F));
                }
                else if (c >= 0xD800 && c <= 0xDFFF)
                {
                    // A surrogate pair becomes one 4-byte UTF-8 sequence; a lone surrogate is refused.
                    int low = i + 1 < count ? (ushort)Marshal.ReadInt16(chars, 2 * (i + 1)) : 0;
                    if (c > 0xDBFF || low < 0xDC00 || low > 0xDFFF)
                    {
                        throw new ArgumentException("The " + key + " is not valid Unicode (a lone surrogate).", key);
                    }
                    int cp = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
                    Put(dest, ref n, 0xF0 | (cp >> 18));
                    Put(dest, ref n, 0x80 | ((cp >> 12) & 0x3F));
                    Put(dest, ref n, 0x80 | ((cp >> 6) & 0x3F));
                    Put(dest, ref n, 0x80 | (cp & 0x3F));
                    i++;
                }
                else
                {
                    Put(dest, ref n, 0xE0 | (c >> 12));
                    Put(dest, ref n, 0x80 | ((c >> 6) & 0x3F));
                    Put(dest, ref n, 0x80 | (c & 0x3F));
                }
            }
            return n - offset;
        }

        private static int Hex(int digit)
        {
            return digit < 10 ? '0' + digit : 'a' + digit - 10;
        }

        /// <summary>Writes one byte at n (unless only counting) and advances n.</summary>
        private static void Put(byte[] dest, ref int n, int value)
        {
            if (dest != null)
            {
                dest[n] = (byte)value;
            }
            n++;
        }
    }

    /// <summary>A small JSON reader, enough for the library's error and result JSON: objects become
    /// Dictionary&lt;string, object&gt;, arrays List&lt;object&gt;, numbers double, plus string,
    /// bool and null.</summary>
    internal static class MiniJson
    {
        private const int MaxDepth = 64;

        /// <summary>Parses JSON text; throws FormatException when it is not valid JSON.</summary>
        internal static object Parse(string text)
        {
            if (text == null)
            {
                throw new ArgumentNullException("text");
            }
            int at = 0;
            object value = ReadValue(text, ref at, 0);
            SkipBlank(text, ref at);
            if (at != text.Length)
            {
                throw Error(at, "unexpected text after the value");
            }
            return value;
        }

        /// <summary>The parsed object, or null when the text is not a valid JSON object.</summary>
        internal static Dictionary<string, object> TryParseObject(string text)
        {
            try
            {
                return Parse(text) as Dictionary<string, object>;
            }
            catch (FormatException)
            {
                return null;
            }
        }

        /// <summary>The text of each element of a JSON array, as written (trimmed), or null when the
        /// text is not a valid JSON array.</summary>
        internal static List<string> TryParseArrayElements(string text)
        {
            try
            {
                int at = 0;
                SkipBlank(text, ref at);
                if (at >= text.Length || text[at] != '[')
                {
                    return null;
                }
                at++;
                List<string> elements = new List<string>();
                SkipBlank(text, ref at);
                if (at < text.Length && text[at] == ']')
                {
                    at++;
                }
                else
                {
                    while (true)
                    {
                        SkipBlank(text, ref at);
                        int start = at;
                        ReadValue(text, ref at, 1);
                        elements.Add(text.Substring(start, at - start));
                        SkipBlank(text, ref at);
                        if (at < text.Length && text[at] == ',')
                        {
                            at++;
                            continue;
                        }
                        Expect(text, ref at, ']');
                        break;
                    }
                }
                SkipBlank(text, ref at);
                return at == text.Length ? elements : null;
            }
            catch (FormatException)
            {
                return null;
            }
        }

        /// <summary>The string at <paramref name="key"/>, or null when absent or not a string.</summary>
        internal static string GetString(Dictionary<string, object> o, string key)
        {
            object v;
            return o != null && o.TryGetValue(key, out v) ? v as string : null;
        }

        /// <summary>The integer at <paramref name="key"/>, or 0 when absent or not a number.</summary>
        internal static int GetInt(Dictionary<string, object> o, string key)
        {
            object v;
            if (o != null && o.TryGetValue(key, out v) && v is double)
            {
                double d = (double)v;
                if (d >= int.MinValue && d <= int.MaxValue)
                {
                    return (int)d;
                }
            }
            return 0;
        }

        /// <summary>The whole number at <paramref name="key"/>, or 0 when absent, not a number or out
        /// of range (byte counts up to 2^53 are exact in a double).</summary>
        internal static long GetLong(Dictionary<string, object> o, string key)
        {
            object v;
            if (o != null && o.TryGetValue(key, out v) && v is double)
            {
                double d = (double)v;
                if (d >= -9007199254740992.0 && d <= 9007199254740992.0)
                {
                    return (long)d;
                }
            }
            return 0;
        }

        /// <summary>The boolean at <paramref name="key"/>, or false when absent or not a boolean.</summary>
        internal static bool GetBool(Dictionary<string, object> o, string key)
        {
            object v;
            return o != null && o.TryGetValue(key, out v) && v is bool && (bool)v;
        }

        /// <summary>The object at <paramref name="key"/>, or null.</summary>
        internal static Dictionary<string, object> GetObject(Dictionary<string, object> o, string key)
        {
            object v;
            return o != null && o.TryGetValue(key, out v) ? v as Dictionary<string, object> : null;
        }

        /// <summary>The array at <paramref name="key"/>, or null.</summary>
        internal static List<object> GetArray(Dictionary<string, object> o, string key)
        {
            object v;
            return o != null && o.TryGetValue(key, out v) ? v as List<object> : null;
        }

        private static object ReadValue(string s, ref int at, int depth)
        {
            if (depth > MaxDepth)
            {
                throw Error(at, "nested too deeply");
            }
            SkipBlank(s, ref at);
            if (at >= s.Length)
            {
                throw Error(at, "unexpected end");
            }
            char c = s[at];
            if (c == '{')
            {
                return ReadObject(s, ref at, depth);
            }
            if (c == '[')
            {
                return ReadArray(s, ref at, depth);
            }
            if (c == '"')
            {
                return ReadString(s, ref at);
            }
            if (c == '-' || (c >= '0' && c <= '9'))
            {
                return ReadNumber(s, ref at);
            }
            if (ReadWord(s, ref at, "true"))
            {
                return true;
            }
            if (ReadWord(s, ref at, "false"))
            {
                return false;
            }
            if (ReadWord(s, ref at, "null"))
            {
                return null;
            }
            throw Error(at, "unexpected character");
        }

        private static Dictionary<string, object> ReadObject(string s, ref int at, int depth)
        {
            Dictionary<string, object> o = new Dictionary<string, object>(StringComparer.Ordinal);
            at++; // {
            SkipBlank(s, ref at);
            if (at < s.Length && s[at] == '}')
            {
                at++;
                return o;
            }
            while (true)
            {
                SkipBlank(s, ref at);
                if (at >= s.Length || s[at] != '"')
                {
                    throw Error(at, "expected a property name");
                }
                string key = ReadString(s, ref at);
                SkipBlank(s, ref at);
                Expect(s, ref at, ':');
                o[key] = ReadValue(s, ref at, depth + 1);
                SkipBlank(s, ref at);
                if (at < s.Length && s[at] == ',')
                {
                    at++;
                    continue;
                }
                Expect(s, ref at, '}');
                return o;
            }
        }

        private static List<object> ReadArray(string s, ref int at, int depth)
        {
            List<object> list = new List<object>();
            at++; // [
            SkipBlank(s, ref at);
            if (at < s.Length && s[at] == ']')
            {
                at++;
                return list;
            }
            while (true)
            {
                list.Add(ReadValue(s, ref at, depth + 1));
                SkipBlank(s, ref at);
                if (at < s.Length && s[at] == ',')
                {
                    at++;
                    continue;
                }
                Expect(s, ref at, ']');
                return list;
            }
        }

        private static string ReadString(string s, ref int at)
        {
            StringBuilder sb = new StringBuilder();
            at++; // opening quote
            while (at < s.Length)
            {
                char c = s[at++];
                if (c == '"')
                {
                    return sb.ToString();
                }
                if (c < 0x20)
                {
                    throw Error(at - 1, "control character in a string");
                }
                if (c != '\\')
                {
                    sb.Append(c);
                    continue;
                }
                if (at >= s.Length)
                {
                    break;
                }
                char e = s[at++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        int code;
                        if (at + 4 > s.Length || !int.TryParse(s.Substring(at, 4), NumberStyles.AllowHexSpecifier,
                                CultureInfo.InvariantCulture, out code))
                        {
                            throw Error(at, "bad \\u escape");
                        }
                        sb.Append((char)code);
                        at += 4;
                        break;
                    default:
                        throw Error(at - 1, "bad escape");
                }
            }
            throw Error(at, "unterminated string");
        }

        private static double ReadNumber(string s, ref int at)
        {
            int start = at;
            while (at < s.Length && "+-0123456789.eE".IndexOf(s[at]) >= 0)
            {
                at++;
            }
            double d;
            if (!double.TryParse(s.Substring(start, at - start), NumberStyles.Float, CultureInfo.InvariantCulture, out d))
            {
                throw Error(start, "bad number");
            }
            return d;
        }

        private static bool ReadWord(string s, ref int at, string word)
        {
            if (string.CompareOrdinal(s, at, word, 0, word.Length) == 0)
            {
                at += word.Length;
                return true;
            }
            return false;
        }

        private static void Expect(string s, ref int at, char c)
        {
            if (at >= s.Length || s[at] != c)
            {
                throw Error(at, "expected '" + c + "'");
            }
            at++;
        }

        private static void SkipBlank(string s, ref int at)
        {
            while (at < s.Length && (s[at] == ' ' || s[at] == '\t' || s[at] == '\r' || s[at] == '\n'))
            {
                at++;
            }
        }

        private static FormatException Error(int at, string what)
        {
            return new FormatException(string.Format(CultureInfo.InvariantCulture, "Invalid JSON at offset {0}: {1}.", at, what));
        }
    }
}
