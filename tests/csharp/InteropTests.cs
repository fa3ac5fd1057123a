// InteropTests.cs: drives powershell/GraphMail/GraphMail.Native.cs under mono exactly as the
// PowerShell module does, against a local GraphMail emulator.
//
// Built and run by tests/csharp_interop.rs:
//   mcs -langversion:5 -r:Mono.Security.dll -out:InteropTests.exe tests/csharp/InteropTests.cs
//       tests/csharp/CredentialTests.cs tests/csharp/BatchTests.cs powershell/GraphMail/GraphMail.Native.cs
//       powershell/GraphMail/GraphMail.Credentials.cs
//   LD_LIBRARY_PATH=<folder of libgraphmail.so> mono InteropTests.exe
// (`mono InteropTests.exe credentials` runs CredentialTests.cs instead, with its own inputs, and
// `mono InteropTests.exe batch` runs BatchTests.cs: GraphMailClient.SendBatch.)
// Inputs, from the environment set by the harness:
//   GRAPHMAIL_TEST_VERSION               the expected graph_version()
//   GRAPHMAIL_TEST_FROM                  a mailbox that exists in the emulator
//   GRAPHMAIL_TEST_CONFIG                config JSON for the emulator's demo app
//   GRAPHMAIL_TEST_CONFIG_WRONG_SECRET   the same with a wrong clientSecret
//   GRAPHMAIL_TEST_CONFIG_NO_SECRET      config JSON for a second app, without clientSecret
//   GRAPHMAIL_TEST_SECRET_FILE           UTF-8 file holding that app's secret (quotes, backslash,
//                                        a tab, non-ASCII: it exercises the JSON escaping)
//   GRAPHMAIL_TEST_DIR                   folder with the attachments report.csv and notes-é.txt,
//                                        logo.png (small), large.bin (over 3 MB: the upload-session
//                                        path) and cancel.bin (big enough to cancel mid-upload)
//   AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_AUTHORITY_HOST,
//   GRAPHMAIL_GRAPH_ENDPOINT, GRAPHMAIL_CA_FILE: the emulator, for the environment client.
// The harness then checks what the emulator stored against the subjects below. The last line is
// "interop: N passed, M failed"; the exit code is 0 only when nothing failed.

using System;
using System.Collections.Generic;
using System.IO;
using System.Security;
using System.Text;
using GraphMail;

internal static class InteropTests
{
    // Subjects the harness looks for in the emulator's store (tests/csharp_interop.rs).
    private const string FullSubject = "interop: full message \u2713";
    private const string EnvironmentSubject = "interop: from the environment";
    private const string SecureSubject = "interop: SecureString secret";
    private const string SmtpSubject = "interop: Send-MailMessage SMTP parameters";
    private const string PreviewSubject = "interop: preview only";
    private const string LargeSubject = "interop: StartSend large attachment";
    private const string InlineSubject = "interop: StartSend inline image";
    private const string CancelSubject = "interop: cancelled, never sent";
    private const string OrphanSubject = "interop: StartSend outlives its client";

    internal static int passed;
    internal static int failed;

    private static int Main(string[] args)
    {
        try
        {
            if (args.Length == 1 && args[0] == "credentials")
            {
                CredentialTests.Run();
            }
            else if (args.Length == 1 && args[0] == "batch")
            {
                BatchTests.Run();
            }
            else
            {
                Run();
            }
        }
        catch (Exception e)
        {
            // A setup failure (e.g. a missing input); the tests that ran are still counted.
            failed++;
            Console.WriteLine("FAIL setup: " + e);
        }
        Console.WriteLine("interop: {0} passed, {1} failed", passed, failed);
        return failed == 0 ? 0 : 1;
    }

    private static void Run()
    {
        string from = Input("GRAPHMAIL_TEST_FROM");
        string config = Input("GRAPHMAIL_TEST_CONFIG");
        string dir = Input("GRAPHMAIL_TEST_DIR");
        string csv = Path.Combine(dir, "report.csv");
        string notes = Path.Combine(dir, "notes-\u00e9.txt");

        Test("graph_version matches the expected version", delegate
        {
            Equal(Input("GRAPHMAIL_TEST_VERSION"), Native.Version(), "version");
        });

        Test("PreloadWindows returns false off Windows and for bad paths, without throwing", delegate
        {
            True(!Native.PreloadWindows(Path.Combine(dir, "graphmail.dll")), "full path off Windows");
            True(!Native.PreloadWindows("graphmail.dll"), "relative path");
            True(!Native.PreloadWindows(null), "null");
            True(!Native.PreloadWindows(""), "empty");
        });

        Test("a client from config JSON sends a full message with attachments and headers", delegate
        {
            using (GraphMailClient client = GraphMailClient.Create(config))
            {
                string message = Obj(
                    "from", Q("Interop Test <" + from + ">"),
                    "to", Arr(Q("Ops <ops@fabrikam.test>"), Q("dev@fabrikam.test")),
                    "cc", Q("cc@fabrikam.test"),
                    "bcc", Arr(Q("hidden@fabrikam.test")),
                    "replyTo", Q("Helpdesk <help@contoso.test>"),
                    "subject", Q(FullSubject),
                    "body", Q("<p>Hello from C# \u00e9</p>"),
                    "bodyAsHtml", "true",
                    "priority", Q("High"),
                    "headers", Obj("X-Interop", Q("mono"), "x-run", Q("1")),
                    "saveToSentItems", "false",
                    "attachments", Arr(Q(csv), Q(notes)));
                Dictionary<string, object> r = MiniJson.TryParseObject(client.SendMail(message));
                True(r != null, "result is a JSON object");
                Equal("sent", MiniJson.GetString(r, "status"), "status");
                Equal(202, MiniJson.GetInt(r, "httpStatus"), "httpStatus");
                True(!string.IsNullOrEmpty(MiniJson.GetString(r, "requestId")), "requestId");
                List<object> attachments = MiniJson.GetArray(r, "attachments");
                Equal(2, attachments.Count, "attachments");
                Equal("notes-\u00e9.txt", MiniJson.GetString((Dictionary<string, object>)attachments[1], "name"), "name");
                Equal(2, MiniJson.GetArray(r, "to").Count, "to");
            }
        });

        Test("a client from the environment (null config) sends", delegate
        {
            using (GraphMailClient client = GraphMailClient.Create(null))
            {
                SendSimple(client, from, EnvironmentSubject);
            }
        });

        Test("SecureString overload: the escaped secret authenticates and sends", delegate
        {
            string secret = File.ReadAllText(Input("GRAPHMAIL_TEST_SECRET_FILE"), Encoding.UTF8);
            using (SecureString ss = Secure(secret))
            using (GraphMailClient client = GraphMailClient.Create(Input("GRAPHMAIL_TEST_CONFIG_NO_SECRET"), ss))
            {
                True(MiniJson.GetString(MiniJson.TryParseObject(client.AcquireTokenJson()), "accessToken") != null, "token");
                SendSimple(client, from, SecureSubject);
            }
        });

        Test("SecureString overload with a null config uses the environment for everything else", delegate
        {
            using (SecureString right = Secure(Input("AZURE_CLIENT_SECRET")))
            using (GraphMailClient client = GraphMailClient.Create(null, right))
            {
                True(client.AcquireTokenJson().Contains("accessToken"), "token");
            }
            // A wrong SecureString wins over AZURE_CLIENT_SECRET, so it fails.
            using (SecureString wrong = Secure("not-the-secret"))
            using (GraphMailClient client = GraphMailClient.Create(null, wrong))
            {
                GraphMailException e = Throws(delegate { client.AcquireTokenJson(); });
                Equal("AuthenticationError", e.CategoryName, "category");
            }
        });

        Test("SecureString overload refuses a config that already has a clientSecret", delegate
        {
            using (SecureString ss = Secure("x"))
            {
                bool threw = false;
                try
                {
                    GraphMailClient.Create(config, ss).Dispose();
                }
                catch (ArgumentException)
                {
                    threw = true;
                }
                True(threw, "ArgumentException");
            }
        });

        Test("SecureString overload passes a non-object config to the library's own error", delegate
        {
            using (SecureString ss = Secure("x"))
            {
                GraphMailException e = Throws(delegate { GraphMailClient.Create("[1, 2]", ss).Dispose(); });
                Equal("InvalidConfig", e.ErrorCode, "code");
            }
        });

        Test("Send-MailMessage SMTP parameters are accepted with verbose warnings", delegate
        {
            using (GraphMailClient client = GraphMailClient.Create(config))
            {
                string message = Obj("from", Q(from), "to", Q("ops@fabrikam.test"), "subject", Q(SmtpSubject),
                    "smtpServer", Q("smtp.office365.com"), "port", "587", "useSsl", "true", "encoding", Q("utf-8"));
                List<object> warnings = MiniJson.GetArray(MiniJson.TryParseObject(client.SendMail(message)), "warnings");
                Equal(4, warnings.Count, "warnings");
                foreach (object w in warnings)
                {
                    Equal("verbose", MiniJson.GetString((Dictionary<string, object>)w, "level"), "level");
                }
            }
        });

        Test("PreviewMail shows the request and sends nothing", delegate
        {
            using (GraphMailClient client = GraphMailClient.Create(config))
            {
                string message = Obj("from", Q(from), "to", Q("ops@fabrikam.test"), "subject", Q(PreviewSubject),
                    "attachments", Arr(Q(csv)), "smtpServer", Q("smtp.office365.com"));
                Dictionary<string, object> p = MiniJson.TryParseObject(client.PreviewMail(message));
                Equal("POST", MiniJson.GetString(p, "method"), "method");
                True(MiniJson.GetString(p, "url").EndsWith("/v1.0/users/" + from + "/sendMail", StringComparison.Ordinal), "url");
                Dictionary<string, object> m = MiniJson.GetObject(MiniJson.GetObject(p, "body"), "message");
                Equal(PreviewSubject, MiniJson.GetString(m, "subject"), "subject");
                Dictionary<string, object> a = (Dictionary<string, object>)MiniJson.GetArray(p, "attachments")[0];
                Equal(csv, MiniJson.GetString(a, "path"), "path");
                Dictionary<string, object> w = (Dictionary<string, object>)MiniJson.GetArray(p, "warnings")[0];
                Equal("SmtpServerIgnored", MiniJson.GetString(w, "code"), "warning");
            }
        });

        Test("AcquireTokenJson returns a bearer token with its expiry", delegate
        {
            using (GraphMailClient client = GraphMailClient.Create(config))
            {
                Dictionary<string, object> t = MiniJson.TryParseObject(client.AcquireTokenJson());
                True(!string.IsNullOrEmpty(MiniJson.GetString(t, "accessToken")), "accessToken");
                Equal("Bearer", MiniJson.GetString(t, "tokenType"), "tokenType");
                long now = (long)(DateTime.UtcNow - new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc)).TotalSeconds;
                True((double)t["expiresOnUnix"] > now, "expiresOnUnix in the future");
                True(!string.IsNullOrEmpty(MiniJson.GetString(t, "expiresOn")), "expiresOn");
            }
        });

        Test("bad config JSON: InvalidJson, InvalidArgument, not terminating", delegate
        {
            GraphMailException e = Throws(delegate { GraphMailClient.Create("{\"tenantId\":").Dispose(); });
            Error(e, 1, "InvalidJson", "invalidInput", "InvalidArgument", false);
            True(e.ErrorJson.Contains("\"InvalidJson\""), "ErrorJson");
            True(e.Message.Length > 15, "message explains");
        });

        Test("unknown config key: InvalidConfig names the key", delegate
        {
            GraphMailException e = Throws(delegate { GraphMailClient.Create("{\"tenantID\":\"x\"}").Dispose(); });
            Error(e, 1, "InvalidConfig", "invalidInput", "InvalidArgument", false);
            Equal("tenantID", e.Field, "field");
        });

        using (GraphMailClient client = GraphMailClient.Create(config))
        {
            Test("missing From: MissingFrom, terminating", delegate
            {
                GraphMailException e = Throws(delegate { client.SendMail(Obj("to", Q("ops@fabrikam.test"))); });
                Error(e, 1, "MissingFrom", "invalidInput", "InvalidArgument", true);
            });

            Test("bad From address: InvalidAddress on from, terminating", delegate
            {
                GraphMailException e = Throws(delegate { client.SendMail(Obj("from", Q("not an address"), "to", Q("ops@fabrikam.test"))); });
                Error(e, 1, "InvalidAddress", "invalidInput", "InvalidArgument", true);
                Equal("from", e.Field, "field");
            });

            Test("missing attachment: AttachmentNotFound, ObjectNotFound, terminating", delegate
            {
                string message = Obj("from", Q(from), "to", Q("ops@fabrikam.test"), "attachments", Arr(Q(Path.Combine(dir, "missing.pdf"))));
                GraphMailException e = Throws(delegate { client.SendMail(message); });
                Error(e, 6, "AttachmentNotFound", "io", "ObjectNotFound", true);
            });

            Test("bad To address: InvalidAddress, InvalidArgument, not terminating", delegate
            {
                GraphMailException e = Throws(delegate { client.SendMail(Obj("from", Q(from), "to", Q("ops@@fabrikam"))); });
                Error(e, 1, "InvalidAddress", "invalidInput", "InvalidArgument", false);
                True(e.Field != null && e.Field.StartsWith("to", StringComparison.Ordinal), "field to");
            });

            Test("unknown mailbox: MailboxNotFound with Graph code, 404 and request id", delegate
            {
                GraphMailException e = Throws(delegate { client.SendMail(Obj("from", Q("nobody@contoso.test"), "to", Q("ops@fabrikam.test"))); });
                Error(e, 3, "MailboxNotFound", "graph", "ObjectNotFound", false);
                Equal("ErrorInvalidUser", e.GraphCode, "graphCode");
                Equal(404, e.HttpStatus, "httpStatus");
                True(!string.IsNullOrEmpty(e.RequestId), "requestId");
            });

            Test("PreviewMail refuses bad input like SendMail", delegate
            {
                GraphMailException e = Throws(delegate { client.PreviewMail(Obj("to", Q("ops@fabrikam.test"))); });
                Error(e, 1, "MissingFrom", "invalidInput", "InvalidArgument", true);
            });

            Test("a NUL inside the message JSON is refused before the call", delegate
            {
                bool threw = false;
                try
                {
                    client.SendMail(Obj("from", Q(from), "to", Q("ops@fabrikam.test")) + "\0{}");
                }
                catch (ArgumentException)
                {
                    threw = true;
                }
                True(threw, "ArgumentException");
            });

            Test("every returned string is freed: 200 previews and 200 refused sends", delegate
            {
                string ok = Obj("from", Q(from), "to", Q("ops@fabrikam.test"), "subject", Q(PreviewSubject));
                for (int i = 0; i < 200; i++)
                {
                    client.PreviewMail(ok);
                    Throws(delegate { client.SendMail("{}"); });
                }
            });
        }

        Test("wrong secret: AuthenticationError with the identity platform's code", delegate
        {
            using (GraphMailClient client = GraphMailClient.Create(Input("GRAPHMAIL_TEST_CONFIG_WRONG_SECRET")))
            {
                GraphMailException e = Throws(delegate { client.SendMail(Obj("from", Q(from), "to", Q("ops@fabrikam.test"))); });
                Error(e, 2, "InvalidClientSecret", "auth", "AuthenticationError", false);
                True(e.HttpStatus >= 400, "httpStatus");
                e = Throws(delegate { client.AcquireTokenJson(); });
                Equal("AuthenticationError", e.CategoryName, "token category");
            }
        });

        Test("Dispose twice is safe; a disposed client throws ObjectDisposedException", delegate
        {
            GraphMailClient client = GraphMailClient.Create(config);
            client.Dispose();
            client.Dispose();
            bool threw = false;
            try
            {
                client.PreviewMail(Obj("from", Q(from), "to", Q("ops@fabrikam.test")));
            }
            catch (ObjectDisposedException)
            {
                threw = true;
            }
            True(threw, "ObjectDisposedException");
        });

        RunBackgroundSendTests(from, config, dir);

        Test("MiniJson reads escapes, numbers, nesting, and rejects bad JSON", delegate
        {
            Dictionary<string, object> o = MiniJson.TryParseObject(
                " {\"a\":\"\\u00e9\\ud83d\\ude00\\n\\\"\",\"b\":[1,-2.5e1,true,null],\"c\":{}} ");
            Equal("\u00e9\ud83d\ude00\n\"", MiniJson.GetString(o, "a"), "string");
            List<object> b = MiniJson.GetArray(o, "b");
            Equal(-25.0, (double)b[1], "number");
            True(b[3] == null && (bool)b[2], "true, null");
            True(MiniJson.GetObject(o, "c").Count == 0, "empty object");
            True(MiniJson.TryParseObject("{\"a\":1,}") == null, "trailing comma");
            True(MiniJson.TryParseObject("[1]") == null, "not an object");
            True(MiniJson.TryParseObject("{\"a\":1} x") == null, "trailing text");
        });
    }

    // ---- background sends: StartSend, Progress, Cancel, Wait (Send-GraphMail's path) ----

    private static void RunBackgroundSendTests(string from, string config, string dir)
    {
        string large = Path.Combine(dir, "large.bin");
        string logo = Path.Combine(dir, "logo.png");
        string cancel = Path.Combine(dir, "cancel.bin");

        using (GraphMailClient client = GraphMailClient.Create(config))
        {
            Test("StartSend with a large attachment: progress grows to the total, then Wait gives the result", delegate
            {
                string message = Obj("from", Q(from), "to", Q("ops@fabrikam.test"), "subject", Q(LargeSubject),
                    "body", Q("<p>Logo: <img src=\"cid:logo\"></p>"), "bodyAsHtml", "true",
                    "attachments", Arr(Q(large)), "inlineAttachments", Obj("logo", Q(logo)));
                long total = new FileInfo(large).Length + new FileInfo(logo).Length;
                using (GraphMailSend send = client.StartSend(message))
                {
                    GraphMailProgress p;
                    long last = 0;
                    int polls = 0;
                    string early;
                    while (true)
                    {
                        p = send.Progress();
                        Equal(total, p.BytesTotal, "BytesTotal (" + p + ")");
                        True(p.BytesSent >= last && p.BytesSent <= total, "BytesSent only grows, up to the total: " + p);
                        True(!p.CancelRequested, "no cancel requested");
                        last = p.BytesSent;
                        if (p.Done)
                        {
                            break;
                        }
                        if (send.Wait(20, out early))
                        {
                            True(early != null, "result JSON with true");
                        }
                        else
                        {
                            True(early == null, "no result JSON while pending");
                        }
                        True(++polls < 6000, "the send finishes within two minutes: " + p);
                    }
                    Equal("done", p.Step, "step at the end");
                    Equal(total, p.BytesSent, "every byte sent");

                    string json;
                    True(send.Wait(0, out json), "Wait(0) after Done returns true");
                    Dictionary<string, object> r = MiniJson.TryParseObject(json);
                    Equal("sent", MiniJson.GetString(r, "status"), "status");
                    Equal("draft", MiniJson.GetString(r, "path"), "the upload-session path");
                    Equal(2, MiniJson.GetArray(r, "attachments").Count, "attachments");
                    string again;
                    True(send.Wait(1000, out again), "Wait again");
                    Equal(json, again, "the same result");
                }
            });

            Test("StartSend of a small message with an inline image goes through sendMail", delegate
            {
                string message = Obj("from", Q(from), "to", Q("ops@fabrikam.test"), "subject", Q(InlineSubject),
                    "body", Q("<img src=\"cid:logo\">"), "bodyAsHtml", "true", "inlineAttachments", Obj("logo", Q(logo)));
                using (GraphMailSend send = client.StartSend(message))
                {
                    string json;
                    True(send.Wait(60000, out json), "finished within a minute");
                    Dictionary<string, object> r = MiniJson.TryParseObject(json);
                    Equal("sendMail", MiniJson.GetString(r, "path"), "path");
                    GraphMailProgress p = send.Progress();
                    True(p.Done, "Done");
                    Equal(new FileInfo(logo).Length, p.BytesTotal, "BytesTotal");
                }
            });

            Test("Cancel stops a send mid-upload: Wait throws Cancelled, OperationStopped, not terminating", delegate
            {
                string message = Obj("from", Q(from), "to", Q("ops@fabrikam.test"), "subject", Q(CancelSubject),
                    "attachments", Arr(Q(cancel)));
                using (GraphMailSend send = client.StartSend(message))
                {
                    string json;
                    True(!send.Wait(0, out json) && json == null, "pending right after the start");
                    // Cancel once a chunk is acknowledged, so the draft and the upload session exist.
                    DateTime deadline = DateTime.UtcNow.AddMinutes(2);
                    GraphMailProgress p = send.Progress();
                    while (p.BytesSent == 0)
                    {
                        True(!p.Done, "the send ended before any chunk was acknowledged: " + p);
                        True(DateTime.UtcNow < deadline, "no chunk acknowledged within two minutes: " + p);
                        System.Threading.Thread.Sleep(1);
                        p = send.Progress();
                    }
                    True(p.BytesSent < p.BytesTotal, "cancelled before the end: " + p);
                    send.Cancel();
                    True(send.Progress().CancelRequested, "CancelRequested");
                    GraphMailException e = Throws(delegate { send.Wait(60000, out json); });
                    Error(e, 10, "Cancelled", "cancelled", "OperationStopped", false);
                    True(json == null, "no result JSON");
                    True(send.Progress().Done, "Done after the cancel");
                    e = Throws(delegate { send.Wait(0, out json); });
                    Equal("Cancelled", e.ErrorCode, "the same outcome again");
                    send.Cancel(); // after the end: nothing happens
                }
            });

            Test("StartSend refuses bad input like SendMail, before anything starts", delegate
            {
                GraphMailException e = Throws(delegate { client.StartSend(Obj("to", Q("ops@fabrikam.test"))).Dispose(); });
                Error(e, 1, "MissingFrom", "invalidInput", "InvalidArgument", true);
                e = Throws(delegate { client.StartSend(Obj("from", Q(from), "to", Q("ops@fabrikam.test"), "attachments", Arr(Q(Path.Combine(dir, "missing.bin"))))).Dispose(); });
                Error(e, 6, "AttachmentNotFound", "io", "ObjectNotFound", true);
                e = Throws(delegate { client.StartSend(Obj("from", Q(from), "to", Q("ops@fabrikam.test"), "inlineAttachments", Obj("logo", Q(Path.Combine(dir, "missing.png"))))).Dispose(); });
                Equal("AttachmentNotFound", e.ErrorCode, "a missing inline image");
                e = Throws(delegate { client.StartSend("{\"from\":").Dispose(); });
                Error(e, 1, "InvalidJson", "invalidInput", "InvalidArgument", false);
                e = Throws(delegate { client.StartSend(null).Dispose(); });
                Equal(1, e.Status, "null message");
                bool threw = false;
                try
                {
                    client.StartSend(Obj("from", Q(from), "to", Q("ops@fabrikam.test")) + "\0").Dispose();
                }
                catch (ArgumentException)
                {
                    threw = true;
                }
                True(threw, "a NUL is refused with ArgumentException");
            });

            Test("a failed background send throws from Wait with the library's error", delegate
            {
                using (GraphMailSend send = client.StartSend(Obj("from", Q("nobody@contoso.test"), "to", Q("ops@fabrikam.test"))))
                {
                    string json = "unchanged";
                    GraphMailException e = Throws(delegate { send.Wait(60000, out json); });
                    Error(e, 3, "MailboxNotFound", "graph", "ObjectNotFound", false);
                    True(json == null, "no result JSON");
                }
            });
        }

        Test("a disposed send throws ObjectDisposedException; Dispose twice is safe; Wait checks its timeout", delegate
        {
            GraphMailSend send;
            using (GraphMailClient client = GraphMailClient.Create(config))
            {
                send = client.StartSend(Obj("from", Q(from), "to", Q("ops@fabrikam.test"), "subject", Q(OrphanSubject)));
            }
            string json;
            bool threw = false;
            try
            {
                send.Wait(-2, out json);
            }
            catch (ArgumentOutOfRangeException)
            {
                threw = true;
            }
            True(threw, "ArgumentOutOfRangeException for -2");
            // -1: until the end. Disposing the client did not stop the send: it holds its own reference.
            True(send.Wait(-1, out json), "sent after the client was disposed");
            Equal("sent", MiniJson.GetString(MiniJson.TryParseObject(json), "status"), "status");
            True(send.Progress().Done, "Done");
            send.Dispose();
            send.Dispose();
            int disposed = 0;
            Action[] calls =
            {
                delegate { send.Progress(); },
                delegate { send.Cancel(); },
                delegate { send.Wait(0, out json); },
            };
            foreach (Action call in calls)
            {
                try
                {
                    call();
                }
                catch (ObjectDisposedException)
                {
                    disposed++;
                }
            }
            Equal(3, disposed, "ObjectDisposedException from Progress, Cancel and Wait");

            GraphMailClient closed = GraphMailClient.Create(config);
            closed.Dispose();
            threw = false;
            try
            {
                closed.StartSend(Obj("from", Q(from), "to", Q("ops@fabrikam.test")));
            }
            catch (ObjectDisposedException)
            {
                threw = true;
            }
            True(threw, "StartSend on a disposed client");
        });
    }

    // ---- the message JSON the module would build with ConvertTo-Json ----

    internal static void SendSimple(GraphMailClient client, string from, string subject)
    {
        string r = client.SendMail(Obj("from", Q(from), "to", Q("ops@fabrikam.test"), "subject", Q(subject), "body", Q("hello")));
        Equal("sent", MiniJson.GetString(MiniJson.TryParseObject(r), "status"), "status");
    }

    /// <summary>A JSON string literal.</summary>
    internal static string Q(string s)
    {
        StringBuilder sb = new StringBuilder("\"");
        foreach (char c in s)
        {
            if (c == '"' || c == '\\')
            {
                sb.Append('\\').Append(c);
            }
            else if (c < 0x20)
            {
                sb.AppendFormat("\\u{0:x4}", (int)c);
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>A JSON object from alternating names and JSON values.</summary>
    internal static string Obj(params string[] nameValues)
    {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < nameValues.Length; i += 2)
        {
            sb.Append(i == 0 ? "" : ",").Append(Q(nameValues[i])).Append(':').Append(nameValues[i + 1]);
        }
        return sb.Append('}').ToString();
    }

    /// <summary>A JSON array of JSON values.</summary>
    internal static string Arr(params string[] values)
    {
        return "[" + string.Join(",", values) + "]";
    }

    internal static SecureString Secure(string s)
    {
        SecureString ss = new SecureString();
        foreach (char c in s)
        {
            ss.AppendChar(c);
        }
        ss.MakeReadOnly();
        return ss;
    }

    internal static string Input(string name)
    {
        string v = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrEmpty(v))
        {
            throw new InvalidOperationException("the harness did not set " + name);
        }
        return v;
    }

    // ---- a minimal test runner ----

    internal sealed class CheckFailed : Exception
    {
        public CheckFailed(string message) : base(message)
        {
        }
    }

    internal static void Test(string name, Action body)
    {
        try
        {
            body();
            passed++;
            Console.WriteLine("ok   " + name);
        }
        catch (CheckFailed e)
        {
            failed++;
            Console.WriteLine("FAIL " + name + ": " + e.Message);
        }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine("FAIL " + name + ": unexpected " + e);
        }
    }

    internal static void True(bool condition, string what)
    {
        if (!condition)
        {
            throw new CheckFailed(what);
        }
    }

    internal static void Equal(object expected, object actual, string what)
    {
        if (!object.Equals(expected, actual))
        {
            throw new CheckFailed(string.Format("{0}: expected <{1}>, got <{2}>", what, expected, actual));
        }
    }

    internal static GraphMailException Throws(Action action)
    {
        try
        {
            action();
        }
        catch (GraphMailException e)
        {
            return e;
        }
        throw new CheckFailed("expected a GraphMailException");
    }

    internal static void Error(GraphMailException e, int status, string code, string kind, string category, bool terminating)
    {
        string context = " (" + e.ErrorJson + ")";
        Equal(code, e.ErrorCode, "ErrorCode" + context);
        Equal(status, e.Status, "Status" + context);
        Equal(kind, e.Kind, "Kind" + context);
        Equal(category, e.CategoryName, "CategoryName" + context);
        Equal(terminating, e.IsTerminating, "IsTerminating" + context);
        True(!string.IsNullOrEmpty(e.Message) && e.Message != e.ErrorJson, "Message is the library's message");
    }
}
