// BatchTests.cs: GraphMailClient.SendBatch (graph_send_mail_batch) under mono against a local
// GraphMail emulator, as Send-GraphMailBatch uses it: many messages across the emulator's three
// mailboxes in one call, with invalid ones and an unknown mailbox among them.
//
// Run by tests/csharp_interop.rs as `mono InteropTests.exe batch`. Inputs, from the environment:
//   GRAPHMAIL_TEST_CONFIG   config JSON for the emulator's demo app
//   GRAPHMAIL_TEST_DIR      folder with the attachment report.csv
// For each message it sent, it prints "sent-request-id<TAB><subject><TAB><request id>", which the
// harness matches against what the emulator stored: the results belong to the right messages.
// The harness also checks that exactly the "sent" subjects below arrived, each once, from its
// mailbox, and none of the "never sent" ones.

using System;
using System.Collections.Generic;
using System.IO;
using GraphMail;

internal static class BatchTests
{
    // Keep in sync with tests/csharp_interop.rs.
    private const string Alerts = "alerts@contoso.test";
    private const string Reports = "reports@contoso.test";
    private const string Noreply = "noreply@contoso.test";
    private const string Ghost = "ghost@contoso.test";
    private const string OrderPrefix = "batch: order ";
    private const int OrderCount = 24;

    private static string Q(string s)
    {
        return InteropTests.Q(s);
    }

    private static string Obj(params string[] nameValues)
    {
        return InteropTests.Obj(nameValues);
    }

    private static string Arr(params string[] values)
    {
        return InteropTests.Arr(values);
    }

    private static void Test(string name, Action body)
    {
        InteropTests.Test(name, body);
    }

    private static void True(bool condition, string what)
    {
        InteropTests.True(condition, what);
    }

    private static void Equal(object expected, object actual, string what)
    {
        InteropTests.Equal(expected, actual, what);
    }

    private static string Mail(string from, string subject)
    {
        return Obj("from", Q(from), "to", Q("ops@fabrikam.test"), "subject", Q(subject), "body", Q("bulk"));
    }

    /// <summary>Prints the request id of each sent message for the harness.</summary>
    private static void Report(GraphMailBatchResult[] results)
    {
        foreach (GraphMailBatchResult r in results)
        {
            if (r.Succeeded)
            {
                Console.WriteLine("sent-request-id\t" + r.Subject + "\t" + r.RequestId);
            }
        }
    }

    /// <summary>The library's JSON of a result, for failure messages.</summary>
    private static string Context(GraphMailBatchResult r)
    {
        return " (result " + r.Index + ": " + r.ResultJson + ")";
    }

    private static void Sent(GraphMailBatchResult r, int index, string from, string subject)
    {
        string context = Context(r);
        Equal(index, r.Index, "Index" + context);
        True(r.Succeeded, "Succeeded" + context);
        Equal(from, r.From, "From" + context);
        Equal(subject, r.Subject, "Subject" + context);
        Equal("sendMail", r.Path, "Path" + context);
        Equal(202, r.HttpStatus, "HttpStatus" + context);
        True(!string.IsNullOrEmpty(r.RequestId), "RequestId" + context);
        True(!string.IsNullOrEmpty(r.ClientRequestId), "ClientRequestId" + context);
        True(r.Error == null && r.ErrorCode == null, "no error" + context);
        Equal("sent", MiniJson.GetString(MiniJson.TryParseObject(r.ResultJson), "status"), "ResultJson is the report" + context);
    }

    private static void Failed(GraphMailBatchResult r, int index, int status, string code, string kind)
    {
        string context = Context(r);
        Equal(index, r.Index, "Index" + context);
        True(!r.Succeeded, "not Succeeded" + context);
        True(r.Error != null, "Error" + context);
        Equal(code, r.ErrorCode, "ErrorCode" + context);
        Equal(code, r.Error.ErrorCode, "Error.ErrorCode" + context);
        Equal(status, r.Error.Status, "Error.Status" + context);
        Equal(kind, r.Error.Kind, "Error.Kind" + context);
        True(!string.IsNullOrEmpty(r.Error.Message) && r.Error.Message != r.ResultJson, "the library's message" + context);
        True(r.Path == null && r.ClientRequestId == null, "no report" + context);
        Equal(0, r.Warnings.Length, "no warnings" + context);
        True(r.ResultJson.Contains("\"error\""), "ResultJson is the error" + context);
        True(r.ToString().StartsWith(index + " failed " + code, StringComparison.Ordinal), "ToString: " + r);
    }

    internal static void Run()
    {
        string config = InteropTests.Input("GRAPHMAIL_TEST_CONFIG");
        string csv = Path.Combine(InteropTests.Input("GRAPHMAIL_TEST_DIR"), "report.csv");

        using (GraphMailClient client = GraphMailClient.Create(config))
        {
            Test("SendBatch of message JSONs across three mailboxes: results in input order, failures with their codes", delegate
            {
                List<string> messages = new List<string>();
                // 0-2: one per mailbox, the first with an attachment and a display name.
                messages.Add(Obj("from", Q("Alerts <" + Alerts + ">"), "to", Arr(Q("Ops <ops@fabrikam.test>"), Q("dev@fabrikam.test")),
                    "subject", Q("batch: alerts with attachment"), "attachments", Arr(Q(csv))));
                messages.Add(Mail(Reports, "batch: reports"));
                messages.Add(Obj("from", Q(Noreply), "to", Q("ops@fabrikam.test"), "subject", Q("batch: noreply with a warning"),
                    "deliveryNotificationOption", Q("OnSuccess, OnFailure")));
                // 3: invalid input: checked by the library, never sent.
                messages.Add(Obj("from", Q(Alerts), "to", Q("not an address"), "subject", Q("batch: invalid, never sent")));
                // 4: a mailbox the tenant does not have.
                messages.Add(Mail(Ghost, "batch: ghost, never sent"));
                // 5: not JSON at all.
                messages.Add("{\"from\":\"" + Alerts + "\",\"subject\":\"batch: broken JSON, never sent\"");
                // 6: two messages in one entry are refused, not smuggled into the batch.
                messages.Add(Mail(Alerts, "batch: smuggled one, never sent") + "," + Mail(Reports, "batch: smuggled two, never sent"));
                // 7: null.
                messages.Add(null);
                // 8: an unknown key.
                messages.Add(Obj("from", Q(Reports), "to", Q("ops@fabrikam.test"), "subjet", Q("batch: typo, never sent")));
                // 9-11: one more per mailbox after the failures.
                messages.Add(Mail(Noreply, "batch: noreply after the failures"));
                messages.Add(Mail(Reports, "batch: reports after the failures"));
                messages.Add(Mail(Alerts, "batch: alerts after the failures"));

                GraphMailBatchResult[] results = client.SendBatch(messages);
                Report(results);
                Equal(messages.Count, results.Length, "one result per message");

                Sent(results[0], 0, "Alerts <" + Alerts + ">", "batch: alerts with attachment");
                Equal(2, results[0].To.Length, "To as given");
                Equal("Ops <ops@fabrikam.test>", results[0].To[0], "To[0] as given");
                Equal(1, MiniJson.GetArray(MiniJson.TryParseObject(results[0].ResultJson), "attachments").Count, "the attachment");
                Sent(results[1], 1, Reports, "batch: reports");
                Equal("ops@fabrikam.test", results[1].To[0], "To of a string");
                Sent(results[2], 2, Noreply, "batch: noreply with a warning");
                Equal(1, results[2].Warnings.Length, "one warning");
                Equal("DeliveryNotificationOptionUnsupported", results[2].Warnings[0].Code, "warning code");
                Equal("warning", results[2].Warnings[0].Level, "warning level");
                True(results[2].Warnings[0].Message.Contains("OnFailure"), "warning message");

                Failed(results[3], 3, 1, "InvalidAddress", "invalidInput");
                Equal("batch: invalid, never sent", results[3].Subject, "a failed message keeps its subject");
                Equal("not an address", results[3].To[0], "and its To");
                True(results[3].Error.Field.StartsWith("to", StringComparison.Ordinal), "field: " + results[3].Error.Field);
                Equal(0, results[3].HttpStatus, "no request was made");

                Failed(results[4], 4, 3, "MailboxNotFound", "graph");
                Equal(Ghost, results[4].From, "From");
                Equal(404, results[4].HttpStatus, "HttpStatus");
                Equal(404, results[4].Error.HttpStatus, "Error.HttpStatus");
                Equal("ErrorInvalidUser", results[4].Error.GraphCode, "GraphCode");
                True(!string.IsNullOrEmpty(results[4].RequestId), "Graph's request id");
                Equal(results[4].RequestId, results[4].Error.RequestId, "the same request id");
                Equal("ObjectNotFound", results[4].Error.CategoryName, "category");

                Failed(results[5], 5, 1, "InvalidJson", "invalidInput");
                True(results[5].From == null && results[5].Subject == null && results[5].To.Length == 0, "nothing read from broken JSON");
                Failed(results[6], 6, 1, "InvalidJson", "invalidInput");
                Failed(results[7], 7, 1, "InvalidMessage", "invalidInput");
                Failed(results[8], 8, 1, "InvalidMessage", "invalidInput");
                Equal("subjet", results[8].Error.Field, "the unknown key");

                Sent(results[9], 9, Noreply, "batch: noreply after the failures");
                Sent(results[10], 10, Reports, "batch: reports after the failures");
                Sent(results[11], 11, Alerts, "batch: alerts after the failures");
            });

            Test("SendBatch of many messages keeps the input order", delegate
            {
                string[] mailboxes = { Alerts, Reports, Noreply };
                List<string> messages = new List<string>();
                for (int i = 0; i < OrderCount; i++)
                {
                    messages.Add(Mail(mailboxes[i % 3], OrderPrefix + i.ToString("00")));
                }
                GraphMailBatchResult[] results = client.SendBatch(messages.ToArray());
                Report(results);
                Equal(OrderCount, results.Length, "one result per message");
                for (int i = 0; i < OrderCount; i++)
                {
                    Sent(results[i], i, mailboxes[i % 3], OrderPrefix + i.ToString("00"));
                }
            });

            Test("SendBatch of a JSON array: a non-object entry fails alone", delegate
            {
                string array = "[" + Mail(Alerts, "batch: array first") + ", 42 ,\n" + Mail(Reports, "batch: array third") + "]";
                GraphMailBatchResult[] results = client.SendBatch(array);
                Report(results);
                Equal(3, results.Length, "one result per element");
                Sent(results[0], 0, Alerts, "batch: array first");
                Failed(results[1], 1, 1, "InvalidMessage", "invalidInput");
                True(results[1].From == null && results[1].To.Length == 0, "no fields from a number");
                Sent(results[2], 2, Reports, "batch: array third");
            });

            Test("SendBatch refuses a whole call that is not a JSON array, sending nothing", delegate
            {
                GraphMailException e = InteropTests.Throws(delegate { client.SendBatch(Mail(Alerts, "batch: not an array, never sent")); });
                InteropTests.Error(e, 1, "InvalidMessage", "invalidInput", "InvalidArgument", false);
                e = InteropTests.Throws(delegate { client.SendBatch("[" + Mail(Alerts, "batch: cut off, never sent")); });
                InteropTests.Error(e, 1, "InvalidJson", "invalidInput", "InvalidArgument", false);
                e = InteropTests.Throws(delegate { client.SendBatch((string)null); });
                Equal("NullArgument", e.ErrorCode, "null JSON");
                Equal(0, client.SendBatch("[]").Length, "an empty array");
                Equal(0, client.SendBatch(new string[0]).Length, "an empty list");
            });

            Test("SendBatch refuses a null list and a NUL character before anything is sent", delegate
            {
                bool threw = false;
                try
                {
                    client.SendBatch((IList<string>)null);
                }
                catch (ArgumentNullException)
                {
                    threw = true;
                }
                True(threw, "ArgumentNullException");
                threw = false;
                try
                {
                    // A raw NUL after the JSON (Q escapes one inside a string): the library would stop reading there.
                    client.SendBatch(new string[] { Mail(Alerts, "batch: before a NUL, never sent"), Mail(Alerts, "batch: NUL, never sent") + "\0{}" });
                }
                catch (ArgumentException)
                {
                    threw = true;
                }
                True(threw, "ArgumentException");
            });
        }

        Test("SendBatch on a disposed client throws ObjectDisposedException", delegate
        {
            GraphMailClient closed = GraphMailClient.Create(config);
            closed.Dispose();
            int disposed = 0;
            Action[] calls =
            {
                delegate { closed.SendBatch("[]"); },
                delegate { closed.SendBatch(new string[] { Mail(Alerts, "batch: disposed, never sent") }); },
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
            Equal(2, disposed, "both overloads");
        });

        Test("MiniJson.TryParseArrayElements splits an array into its elements' text", delegate
        {
            List<string> e = MiniJson.TryParseArrayElements(" [ {\"a\":[1,2]} , \"x,]\" ,null,-1.5e3 ] ");
            Equal(4, e.Count, "count");
            Equal("{\"a\":[1,2]}", e[0], "object");
            Equal("\"x,]\"", e[1], "string with a comma and a bracket");
            Equal("null", e[2], "null");
            Equal("-1.5e3", e[3], "number");
            Equal(0, MiniJson.TryParseArrayElements("[]").Count, "empty");
            True(MiniJson.TryParseArrayElements("{}") == null, "not an array");
            True(MiniJson.TryParseArrayElements("[1,]") == null, "trailing comma");
            True(MiniJson.TryParseArrayElements("[1] 2") == null, "trailing text");
            True(MiniJson.TryParseArrayElements("[1") == null, "unterminated");
        });
    }
}
