// CredentialTests.cs: Connect-GraphMail's credentials in the C# interop
// (powershell/GraphMail/GraphMail.Credentials.cs), under mono, against a local GraphMail emulator:
// certificate signing in .NET (graph_client_new_with_signer) with a PFX and with a certificate
// of mono's CurrentUser\My store, signers that fail or use another key, the background sign-in
// (graph_sign_in_start) with a device code, a managed identity, an access token, a certificate
// file with its password, and GraphMailConnectOptions' mapping to the configuration.
//
// Built with InteropTests.cs (its runner and JSON helpers) and run by tests/csharp_interop.rs as
// `mono InteropTests.exe credentials`, with HOME set to a temporary folder (mono keeps its
// certificate store and key pairs under $HOME/.config/.mono). Inputs, from the environment:
//   GRAPHMAIL_TEST_FROM              a mailbox of the emulator
//   GRAPHMAIL_TEST_BASE              config JSON for the emulator without a credential
//                                    (tenantId, clientId, authorityHost, graphEndpoint,
//                                    caCertificatePath, timeoutSeconds)
//   GRAPHMAIL_TEST_SECRET            the demo app's client secret
//   GRAPHMAIL_TEST_PFX               a PFX (3DES, which mono reads) of the certificate registered on
//                                    the demo app, GRAPHMAIL_TEST_PFX_PASSWORD its password
//   GRAPHMAIL_TEST_LIBRARY_PFX       the same certificate as the PFX the library reads
//   GRAPHMAIL_TEST_OTHER_PFX         a PFX of a certificate that is not registered (same password)
//   GRAPHMAIL_TEST_PUBLIC_CLIENT     a public client app; GRAPHMAIL_TEST_USER a user who signs in
//                                    (the emulator approves each device code after two polls)
//   GRAPHMAIL_TEST_TOKEN_CACHE       a path for the device code token cache
//   GRAPHMAIL_TEST_MI_CLIENT_ID      a user-assigned managed identity (the emulator's IMDS, from
//                                    AZURE_POD_IDENTITY_AUTHORITY_HOST)
// The harness checks what the emulator stored against the subjects below.

using System;
using System.Collections;
using System.Collections.Generic;
using System.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using GraphMail;

internal static class CredentialTests
{
    // Subjects the harness looks for in the emulator's store (tests/csharp_interop.rs).
    private const string PfxSubject = "credentials: PFX certificate signed in .NET";
    private const string ChainSubject = "credentials: options with a certificate and its chain";
    private const string StoreSubject = "credentials: certificate from the CurrentUser store";
    private const string DeviceSubject = "credentials: device code user";
    private const string ManagedSubject = "credentials: user-assigned managed identity";
    private const string AccessSubject = "credentials: access token as a SecureString";
    private const string PathSubject = "credentials: certificate file with its password";
    private const string OrphanSubject = "credentials: a signer outlives its disposed client";
    private const string NeverSubject = "credentials: never sent";

    internal static void Run()
    {
        string from = InteropTests.Input("GRAPHMAIL_TEST_FROM");
        string baseConfig = InteropTests.Input("GRAPHMAIL_TEST_BASE");
        string password = InteropTests.Input("GRAPHMAIL_TEST_PFX_PASSWORD");
        X509Certificate2 registered = new X509Certificate2(InteropTests.Input("GRAPHMAIL_TEST_PFX"), password, X509KeyStorageFlags.Exportable);
        X509Certificate2 other = new X509Certificate2(InteropTests.Input("GRAPHMAIL_TEST_OTHER_PFX"), password, X509KeyStorageFlags.Exportable);
        Dictionary<string, object> settings = MiniJson.TryParseObject(baseConfig);

        RunSignerTests(from, baseConfig, registered, other);
        RunStoreTests(from, settings, registered, other);
        RunSignInTests(from, settings);
        RunOptionsTests(from, settings, password);
    }

    // ---- certificate signers (graph_client_new_with_signer) ----

    private static void RunSignerTests(string from, string baseConfig, X509Certificate2 registered, X509Certificate2 other)
    {
        Test("a PFX certificate signs the client assertion in .NET and the message is sent", delegate
        {
            GraphMailCertificateSigner signer = new GraphMailCertificateSigner(registered);
            // mono's RSA (RSACryptoServiceProvider) cannot sign with PSS: the signer falls back to RS256.
            Console.WriteLine("     mono: the key signs " + signer.Algorithm + " (PSS " + (signer.SupportsPss ? "supported" : "not supported") + ")");
            True(signer.SupportsPss == (signer.Algorithm == "PS256"), "Algorithm follows SupportsPss");
            byte[] data = Encoding.UTF8.GetBytes("header.claims");
            byte[] signature = signer.Sign(signer.Algorithm, data);
            Equal(256, signature.Length, "a 2048-bit key's signature length");
            RSA publicKey = (RSA)registered.PublicKey.Key;
            True(publicKey.VerifyData(data, signature, HashAlgorithmName.SHA256,
                signer.SupportsPss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1), "the signature verifies");

            string config = With(baseConfig, "signingCertificate", signer.SigningCertificateJson(false), "certificateAlgorithm", Q(signer.Algorithm));
            using (GraphMailClient client = GraphMailClient.CreateWithSigner(config, signer))
            {
                SendSimple(client, from, PfxSubject);
            }
            True(signer.LastError == null, "no failure recorded");
        });

        Test("PS256 from a key that cannot do PSS fails with SignerFailed and the key's own reason", delegate
        {
            GraphMailCertificateSigner signer = new GraphMailCertificateSigner(registered);
            string config = With(baseConfig, "signingCertificate", signer.SigningCertificateJson(false), "certificateAlgorithm", Q("PS256"));
            using (GraphMailClient client = GraphMailClient.CreateWithSigner(config, signer))
            {
                if (signer.SupportsPss)
                {
                    True(client.AcquireTokenJson().Contains("accessToken"), "PS256 works where PSS does");
                    return;
                }
                GraphMailException e = Throws(delegate { client.SendMail(Message(from, NeverSubject)); });
                Equal("SignerFailed", e.ErrorCode, "ErrorCode (" + e.ErrorJson + ")");
                True(e.Message.Contains("The signer reported:"), "the signer's reason is in the message: " + e.Message);
                True(signer.LastError == null, "the reason was taken by the error");
            }
        });

        Test("a signer that fails gives SignerFailed with its message, from sends, tokens and sign-ins", delegate
        {
            FailingSigner signer = new FailingSigner();
            string config = With(baseConfig, "signingCertificate", Q(Convert.ToBase64String(registered.RawData)), "certificateAlgorithm", Q("RS256"));
            using (GraphMailClient client = GraphMailClient.CreateWithSigner(config, signer))
            {
                GraphMailException e = Throws(delegate { client.SendMail(Message(from, NeverSubject)); });
                Equal("SignerFailed", e.ErrorCode, "ErrorCode (" + e.ErrorJson + ")");
                True(e.Message.Contains(FailingSigner.Reason), "the signer's message: " + e.Message);
                e = Throws(delegate { client.AcquireTokenJson(); });
                Equal("SignerFailed", e.ErrorCode, "token ErrorCode");
                using (GraphMailSignIn signIn = client.StartSignIn())
                {
                    string json;
                    e = Throws(delegate { signIn.Wait(60000, out json); });
                    Equal("SignerFailed", e.ErrorCode, "sign-in ErrorCode");
                    True(e.Message.Contains(FailingSigner.Reason), "sign-in message: " + e.Message);
                }
                using (GraphMailSend send = client.StartSend(Message(from, NeverSubject)))
                {
                    string json;
                    e = Throws(delegate { send.Wait(60000, out json); });
                    Equal("SignerFailed", e.ErrorCode, "background send ErrorCode");
                }
                True(signer.Calls >= 4, "the signer was asked each time: " + signer.Calls);
            }
        });

        Test("a signer using another certificate's key gives SignerFailed before anything is sent", delegate
        {
            GraphMailCertificateSigner wrongKey = new GraphMailCertificateSigner(other);
            string config = With(baseConfig, "signingCertificate", Q(Convert.ToBase64String(registered.RawData)), "certificateAlgorithm", Q(wrongKey.Algorithm));
            using (GraphMailClient client = GraphMailClient.CreateWithSigner(config, wrongKey))
            {
                GraphMailException e = Throws(delegate { client.SendMail(Message(from, NeverSubject)); });
                Equal("SignerFailed", e.ErrorCode, "ErrorCode (" + e.ErrorJson + ")");
                True(wrongKey.LastError == null, "the signer itself did not fail: the library's check did");
            }
        });

        Test("an unregistered certificate signs fine but the identity platform rejects it", delegate
        {
            GraphMailCertificateSigner signer = new GraphMailCertificateSigner(other);
            string config = With(baseConfig, "signingCertificate", signer.SigningCertificateJson(false), "certificateAlgorithm", Q(signer.Algorithm));
            using (GraphMailClient client = GraphMailClient.CreateWithSigner(config, signer))
            {
                GraphMailException e = Throws(delegate { client.AcquireTokenJson(); });
                Equal("ClientAssertionRejected", e.ErrorCode, "ErrorCode (" + e.ErrorJson + ")");
                Equal("AuthenticationError", e.CategoryName, "category");
            }
        });

        Test("a signer outlives a disposed client while a background send still needs it", delegate
        {
            CountingSigner signer = new CountingSigner(new GraphMailCertificateSigner(registered));
            string config = With(baseConfig, "signingCertificate", Q(Convert.ToBase64String(registered.RawData)),
                "certificateAlgorithm", Q(signer.Inner.Algorithm));
            GraphMailSend send;
            using (GraphMailClient client = GraphMailClient.CreateWithSigner(config, signer))
            {
                send = client.StartSend(Message(from, OrphanSubject));
            }
            GC.Collect();
            GC.WaitForPendingFinalizers();
            using (send)
            {
                string json;
                True(send.Wait(60000, out json), "sent");
            }
            True(signer.Calls >= 1, "the signer signed for the send");
        });

        Test("CreateWithSigner refuses a null signer; a bad signingCertificate is the library's InvalidConfig", delegate
        {
            bool threw = false;
            try
            {
                GraphMailClient.CreateWithSigner(baseConfig, null).Dispose();
            }
            catch (ArgumentNullException)
            {
                threw = true;
            }
            True(threw, "ArgumentNullException");
            GraphMailException e = Throws(delegate
            {
                GraphMailClient.CreateWithSigner(With(baseConfig, "signingCertificate", Q("not base64!")), new FailingSigner()).Dispose();
            });
            Equal("InvalidConfig", e.ErrorCode, "ErrorCode (" + e.ErrorJson + ")");
        });
    }

    // ---- the certificate store (mono's CurrentUser\My under $HOME/.config/.mono) ----

    private static void RunStoreTests(string from, Dictionary<string, object> settings, X509Certificate2 registered, X509Certificate2 other)
    {
        Test("FindCertificate finds a CurrentUser\\My certificate by thumbprint (spaces, lower case, U+200E) with its key, and it sends", delegate
        {
            ImportWithKey(registered);
            string thumbprint = registered.Thumbprint;
            StringBuilder spaced = new StringBuilder("\u200e");
            for (int i = 0; i < thumbprint.Length; i += 2)
            {
                spaced.Append(thumbprint.Substring(i, 2).ToLowerInvariant()).Append(' ');
            }
            X509Certificate2 found = GraphMailCertificates.FindCertificate(spaced.ToString(), "CurrentUser");
            Equal(thumbprint, found.Thumbprint, "Thumbprint");
            True(found.HasPrivateKey, "HasPrivateKey");
            found = GraphMailCertificates.FindCertificate(thumbprint.ToLowerInvariant(), null);
            Equal(thumbprint, found.Thumbprint, "null location is CurrentUser");

            GraphMailConnectOptions options = Options(settings);
            options.CertificateThumbprint = spaced.ToString();
            options.CertificateStoreLocation = "currentuser";
            Equal("CertificateThumbprint", options.CredentialName, "CredentialName");
            using (GraphMailClient client = GraphMailClient.CreateFromOptions(options))
            {
                using (GraphMailSignIn signIn = client.StartSignIn())
                {
                    string json;
                    True(signIn.Wait(60000, out json), "signed in");
                    Equal("signedIn", MiniJson.GetString(MiniJson.TryParseObject(json), "status"), "status");
                }
                SendSimple(client, from, StoreSubject);
            }
        });

        Test("a thumbprint that is not in the store: CertificateNotFound, ObjectNotFound, naming it and the store", delegate
        {
            const string missing = "00112233445566778899AABBCCDDEEFF00112233";
            GraphMailException e = Throws(delegate { GraphMailCertificates.FindCertificate(missing.ToLowerInvariant(), "CurrentUser"); });
            Error(e, 6, "CertificateNotFound", "io", "ObjectNotFound", false);
            True(e.Message.Contains(missing) && e.Message.Contains("Cert:\\CurrentUser\\My"), "message: " + e.Message);
            Equal("certificateThumbprint", e.Field, "field");
            Equal("CertificateNotFound", MiniJson.GetString(MiniJson.GetObject(MiniJson.TryParseObject(e.ErrorJson), "error"), "code"), "ErrorJson");
            GraphMailConnectOptions options = Options(settings);
            options.CertificateThumbprint = missing;
            e = Throws(delegate { GraphMailClient.CreateFromOptions(options).Dispose(); });
            Equal("CertificateNotFound", e.ErrorCode, "through CreateFromOptions");
        });

        Test("a store certificate without its private key: CertificateNoPrivateKey", delegate
        {
            X509Store store = new X509Store(StoreName.My, StoreLocation.CurrentUser);
            store.Open(OpenFlags.ReadWrite);
            store.Add(new X509Certificate2(other.RawData)); // the certificate only
            store.Close();
            GraphMailException e = Throws(delegate { GraphMailCertificates.FindCertificate(other.Thumbprint, "CurrentUser"); });
            Error(e, 1, "CertificateNoPrivateKey", "invalidInput", "InvalidArgument", false);
            True(e.Message.Contains(other.Thumbprint) && e.Message.Contains("private key"), "message: " + e.Message);
            e = Throws(delegate { new GraphMailCertificateSigner(new X509Certificate2(other.RawData)); });
            Equal("CertificateNoPrivateKey", e.ErrorCode, "the signer refuses it too");
        });

        Test("not a thumbprint, or not a store location: InvalidConfig naming the field", delegate
        {
            GraphMailException e = Throws(delegate { GraphMailCertificates.FindCertificate("not-a-thumbprint", "CurrentUser"); });
            Error(e, 1, "InvalidConfig", "invalidInput", "InvalidArgument", false);
            Equal("certificateThumbprint", e.Field, "field");
            e = Throws(delegate { GraphMailCertificates.FindCertificate(other.Thumbprint, "Elsewhere"); });
            Equal("certificateStoreLocation", e.Field, "field");
            e = Throws(delegate { GraphMailCertificates.NormalizeThumbprint(null); });
            Equal("InvalidConfig", e.ErrorCode, "null");
        });

        Test("NormalizeThumbprint drops spaces, colons and invisible characters and upper-cases", delegate
        {
            Equal("00112233445566778899AABBCCDDEEFF00112233",
                GraphMailCertificates.NormalizeThumbprint("\u200e00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33\ufeff "),
                "colons");
            Equal("00112233445566778899AABBCCDDEEFF00112233",
                GraphMailCertificates.NormalizeThumbprint(" 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff 00 11 22 33\t"),
                "spaces");
            GraphMailException e = Throws(delegate { GraphMailCertificates.NormalizeThumbprint("00112233445566778899AABBCCDDEEFF0011223"); });
            Equal("InvalidConfig", e.ErrorCode, "39 digits");
            e = Throws(delegate { GraphMailCertificates.NormalizeThumbprint("00112233445566778899AABBCCDDEEFF0011223G"); });
            Equal("InvalidConfig", e.ErrorCode, "not hexadecimal");
        });
    }

    /// <summary>X509Store.Add keeps only the certificate under mono; mono finds the private key of a
    /// store certificate in its key pair folder, under a container named after Mono.Security's
    /// hash of the certificate, so the key is persisted there too (Windows and .NET Core keep the
    /// key with X509Store.Add of a certificate that has one).</summary>
    private static void ImportWithKey(X509Certificate2 certificate)
    {
        X509Store store = new X509Store(StoreName.My, StoreLocation.CurrentUser);
        store.Open(OpenFlags.ReadWrite);
        store.Add(certificate);
        store.Close();
        CspParameters container = new CspParameters();
        container.KeyContainerName = BitConverter.ToString(new Mono.Security.X509.X509Certificate(certificate.RawData).Hash).Replace("-", "");
        using (RSACryptoServiceProvider persisted = new RSACryptoServiceProvider(container))
        {
            persisted.ImportParameters(((RSA)certificate.PrivateKey).ExportParameters(true));
            persisted.PersistKeyInCsp = true;
        }
    }

    // ---- background sign-in (graph_sign_in_start) ----

    private static void RunSignInTests(string from, Dictionary<string, object> settings)
    {
        Test("a device code sign-in shows its prompt once, ends signedIn (no token in the result), then sends as the user", delegate
        {
            string user = InteropTests.Input("GRAPHMAIL_TEST_USER");
            GraphMailConnectOptions options = Options(settings);
            options.ClientId = InteropTests.Input("GRAPHMAIL_TEST_PUBLIC_CLIENT");
            options.DeviceCode = true;
            options.TokenCachePath = InteropTests.Input("GRAPHMAIL_TEST_TOKEN_CACHE");
            options.DeviceCodePrompt = "none";
            using (GraphMailClient client = GraphMailClient.CreateFromOptions(options))
            {
                using (GraphMailSignIn signIn = client.StartSignIn())
                {
                    List<GraphMailSignInPrompt> prompts = new List<GraphMailSignInPrompt>();
                    bool seenInProgress = false;
                    string json = null;
                    DateTime deadline = DateTime.UtcNow.AddMinutes(2);
                    while (!signIn.Wait(50, out json))
                    {
                        True(DateTime.UtcNow < deadline, "signed in within two minutes");
                        GraphMailProgress p = signIn.Progress();
                        seenInProgress = seenInProgress || p.SignIn != null;
                        GraphMailSignInPrompt prompt = signIn.TakeSignInPrompt();
                        if (prompt != null)
                        {
                            prompts.Add(prompt);
                        }
                    }
                    Equal(1, prompts.Count, "the prompt, once");
                    True(seenInProgress, "Progress().SignIn while waiting");
                    GraphMailSignInPrompt shown = prompts[0];
                    True(shown.UserCode.Length > 0 && shown.Message.Contains(shown.UserCode), "the message has the code: " + shown.Message);
                    True(shown.VerificationUri.Length > 0 && shown.Message.Contains(shown.VerificationUri), "the message has the page: " + shown.Message);
                    True(shown.ExpiresOn.Length > 0, "ExpiresOn");
                    Equal(shown.Message, shown.ToString(), "ToString is the message");
                    Dictionary<string, object> r = MiniJson.TryParseObject(json);
                    Equal("signedIn", MiniJson.GetString(r, "status"), "status");
                    Equal("Bearer", MiniJson.GetString(r, "tokenType"), "tokenType");
                    True(MiniJson.GetLong(r, "expiresOnUnix") > 0, "expiresOnUnix");
                    True(!r.ContainsKey("accessToken") && !json.Contains("eyJ"), "no token in the result");
                    GraphMailProgress end = signIn.Progress();
                    True(end.Done && end.SignIn == null, "no prompt once done: " + end);
                    True(signIn.TakeSignInPrompt() == null, "nothing more to show");
                }
                using (GraphMailSend send = client.StartSend(Message(user, DeviceSubject)))
                {
                    string json;
                    True(send.Wait(60000, out json), "sent as the user");
                    True(send.TakeSignInPrompt() == null, "the send did not ask again");
                }
            }
        });

        Test("a sign-in with a wrong secret fails with InvalidClientSecret, and never shows a prompt", delegate
        {
            GraphMailConnectOptions options = Options(settings);
            options.ClientSecret = InteropTests.Secure("not-the-secret");
            using (GraphMailClient client = GraphMailClient.CreateFromOptions(options))
            using (GraphMailSignIn signIn = client.StartSignIn())
            {
                True(signIn.TakeSignInPrompt() == null, "no prompt");
                string json;
                GraphMailException e = Throws(delegate { signIn.Wait(60000, out json); });
                Error(e, 2, "InvalidClientSecret", "auth", "AuthenticationError", false);
                True(signIn.Progress().Done, "Done");
                e = Throws(delegate { signIn.Wait(0, out json); });
                Equal("InvalidClientSecret", e.ErrorCode, "the same outcome again");
                signIn.Dispose();
                bool threw = false;
                try
                {
                    signIn.Progress();
                }
                catch (ObjectDisposedException)
                {
                    threw = true;
                }
                True(threw, "ObjectDisposedException after Dispose");
            }
        });

        Test("a managed identity (user-assigned, by client id) signs in and sends", delegate
        {
            GraphMailConnectOptions options = Options(settings);
            options.ClientId = InteropTests.Input("GRAPHMAIL_TEST_MI_CLIENT_ID");
            options.ManagedIdentity = true;
            Dictionary<string, object> config = MiniJson.TryParseObject(options.ToConfigJson());
            Equal(options.ClientId, MiniJson.GetString(MiniJson.GetObject(config, "managedIdentity"), "clientId"), "managedIdentity.clientId");
            True(!config.ContainsKey("clientId"), "no top-level clientId: " + options.ToConfigJson());
            using (GraphMailClient client = GraphMailClient.CreateFromOptions(options))
            {
                using (GraphMailSignIn signIn = client.StartSignIn())
                {
                    string json;
                    True(signIn.Wait(60000, out json), "signed in");
                }
                SendSimple(client, from, ManagedSubject);
            }
        });
    }

    // ---- GraphMailConnectOptions ----

    private static void RunOptionsTests(string from, Dictionary<string, object> settings, string password)
    {
        Test("an access token given as a SecureString sends", delegate
        {
            GraphMailConnectOptions secret = Options(settings);
            secret.ClientSecret = InteropTests.Secure(InteropTests.Input("GRAPHMAIL_TEST_SECRET"));
            string token;
            using (GraphMailClient client = GraphMailClient.CreateFromOptions(secret))
            {
                token = MiniJson.GetString(MiniJson.TryParseObject(client.AcquireTokenJson()), "accessToken");
            }
            GraphMailConnectOptions options = Options(settings);
            options.AccessToken = InteropTests.Secure(token);
            Equal("AccessToken", options.CredentialName, "CredentialName");
            True(!options.ToConfigJson().Contains(token), "ToConfigJson leaves the token out");
            using (GraphMailClient client = GraphMailClient.CreateFromOptions(options))
            {
                SendSimple(client, from, AccessSubject);
            }
        });

        Test("a certificate file with its password (SecureString) sends; a wrong password is refused without showing it", delegate
        {
            GraphMailConnectOptions options = Options(settings);
            options.CertificatePath = InteropTests.Input("GRAPHMAIL_TEST_LIBRARY_PFX");
            options.CertificatePassword = InteropTests.Secure(password);
            Equal("CertificatePath", options.CredentialName, "CredentialName");
            True(!options.ToConfigJson().Contains(password), "ToConfigJson leaves the password out");
            using (GraphMailClient client = GraphMailClient.CreateFromOptions(options))
            {
                SendSimple(client, from, PathSubject);
            }
            const string wrong = "Wrong-Pass-4711";
            options.CertificatePassword = InteropTests.Secure(wrong);
            GraphMailException e = Throws(delegate { GraphMailClient.CreateFromOptions(options).Dispose(); });
            Equal("InvalidConfig", e.ErrorCode, "ErrorCode (" + e.ErrorJson + ")");
            True(!e.Message.Contains(wrong) && !e.ErrorJson.Contains(wrong), "the password is not in the error");
        });

        Test("options with a Certificate and SendCertificateChain send; the configuration has the chain and the algorithm", delegate
        {
            X509Certificate2 certificate = new X509Certificate2(InteropTests.Input("GRAPHMAIL_TEST_PFX"), password, X509KeyStorageFlags.Exportable);
            GraphMailConnectOptions options = Options(settings);
            options.Certificate = certificate;
            options.SendCertificateChain = true;
            Equal("Certificate", options.CredentialName, "CredentialName");
            using (GraphMailClient client = GraphMailClient.CreateFromOptions(options))
            {
                SendSimple(client, from, ChainSubject);
            }
            GraphMailCertificateSigner signer = new GraphMailCertificateSigner(certificate);
            string chain = signer.SigningCertificateJson(true);
            True(chain.StartsWith("[\"" + Convert.ToBase64String(certificate.RawData) + "\"", StringComparison.Ordinal),
                "an array, the certificate first: " + chain);
            Equal(Q(Convert.ToBase64String(certificate.RawData)), signer.SigningCertificateJson(false), "without the chain");
        });

        Test("Defaults fill what is not set; an explicit credential drops every credential key of Defaults", delegate
        {
            GraphMailConnectOptions options = new GraphMailConnectOptions();
            Hashtable defaults = new Hashtable();
            defaults["useEnvironment"] = true;
            defaults["tenantId"] = "from-defaults";
            defaults["clientId"] = "app-from-defaults";
            defaults["clientSecret"] = "secret-from-defaults";
            defaults["certificatePassword"] = "pfx-from-defaults";
            defaults["timeoutSeconds"] = 30;
            options.Defaults = defaults;
            Equal("Environment", options.CredentialName, "no credential yet");
            Dictionary<string, object> c = MiniJson.TryParseObject(options.ToConfigJson());
            Equal("secret-from-defaults", MiniJson.GetString(c, "clientSecret"), "the environment's secret without an explicit credential");
            Equal(30, MiniJson.GetInt(c, "timeoutSeconds"), "a number stays a number");

            options.TenantId = "explicit-tenant";
            options.CertificatePath = "/tmp/app.pem";
            options.SendCertificateChain = true;
            options.TimeoutSeconds = 5;
            c = MiniJson.TryParseObject(options.ToConfigJson());
            Equal("explicit-tenant", MiniJson.GetString(c, "tenantId"), "tenantId");
            Equal("app-from-defaults", MiniJson.GetString(c, "clientId"), "clientId from Defaults");
            Equal("/tmp/app.pem", MiniJson.GetString(c, "certificatePath"), "certificatePath");
            True(MiniJson.GetBool(c, "sendCertificateChain") && MiniJson.GetBool(c, "useEnvironment"), "booleans");
            Equal(5, MiniJson.GetInt(c, "timeoutSeconds"), "timeoutSeconds");
            True(!c.ContainsKey("clientSecret") && !c.ContainsKey("certificatePassword"), "no credential key of Defaults: " + options.ToConfigJson());

            Hashtable kept = options.GetSettings();
            True(!kept.ContainsKey("certificatePath") && !kept.ContainsKey("sendCertificateChain") && !kept.ContainsKey("clientSecret"),
                "GetSettings has no credential");
            Equal("explicit-tenant", kept["TENANTID"], "GetSettings by key, any case");
            True(kept["proxy"] == null, "a missing key is null");
        });

        Test("ManagedIdentity maps its ids; DeviceCode its scopes, cache and prompt; two credentials are refused by the library", delegate
        {
            GraphMailConnectOptions identity = new GraphMailConnectOptions();
            identity.ManagedIdentity = true;
            Equal("{\"managedIdentity\":true}", identity.ToConfigJson(), "system-assigned");
            identity.ManagedIdentityObjectId = "obj-7";
            Equal("{\"managedIdentity\":{\"objectId\":\"obj-7\"}}", identity.ToConfigJson(), "by object id");
            identity.ManagedIdentityResourceId = "/subscriptions/x/uami";
            GraphMailException e = Throws(delegate { GraphMailClient.CreateFromOptions(identity).Dispose(); });
            Equal("InvalidConfig", e.ErrorCode, "two ids");

            GraphMailConnectOptions device = new GraphMailConnectOptions();
            device.DeviceCode = true;
            device.ClientId = "public-app";
            device.Scopes = new string[] { "https://graph.microsoft.com/Mail.Send", "offline_access" };
            device.TokenCachePath = "/tmp/cache.json";
            device.DeviceCodePrompt = "none";
            Equal("{\"clientId\":\"public-app\",\"deviceCode\":true,\"scopes\":[\"https://graph.microsoft.com/Mail.Send\",\"offline_access\"]," +
                "\"tokenCachePath\":\"/tmp/cache.json\",\"deviceCodePrompt\":\"none\"}", device.ToConfigJson(), "device code");

            GraphMailConnectOptions two = Options(settings);
            two.ClientSecret = InteropTests.Secure("s");
            two.ManagedIdentity = true;
            e = Throws(delegate { GraphMailClient.CreateFromOptions(two).Dispose(); });
            Equal("InvalidConfig", e.ErrorCode, "two credentials (" + e.ErrorJson + ")");
            True(!e.ErrorJson.Contains("\"s\""), "the secret is not in the error");
        });

        Test("every SecureString secret is added with JSON escaping, in one configuration", delegate
        {
            GraphMailConnectOptions options = Options(settings);
            options.ClientSecret = InteropTests.Secure(InteropTests.Input("GRAPHMAIL_TEST_SECRET"));
            using (GraphMailClient client = GraphMailClient.CreateFromOptions(options))
            {
                True(client.AcquireTokenJson().Contains("accessToken"), "the secret authenticates");
            }
            // Three secrets in one configuration: the library refuses two credentials, naming them,
            // which shows that all three arrived as valid JSON.
            GraphMailConnectOptions three = Options(settings);
            three.ClientSecret = InteropTests.Secure("a\"b\\c\td\u00e9\u2713");
            three.CertificatePath = "/nonexistent.pfx";
            three.CertificatePassword = InteropTests.Secure("p\"w");
            three.AccessToken = InteropTests.Secure("t\u00e9");
            GraphMailException e = Throws(delegate { GraphMailClient.CreateFromOptions(three).Dispose(); });
            Equal("InvalidConfig", e.ErrorCode, "ErrorCode (" + e.ErrorJson + ")");
            True(e.Message.Contains("clientSecret") && e.Message.Contains("accessToken"), "names the credentials: " + e.Message);
        });
    }

    // ---- helpers ----

    private sealed class FailingSigner : GraphMailSigner
    {
        internal const string Reason = "the test signer refuses to sign";
        private int calls;

        internal int Calls
        {
            get { return calls; }
        }

        public override byte[] Sign(string algorithm, byte[] data)
        {
            System.Threading.Interlocked.Increment(ref calls);
            throw new InvalidOperationException(Reason);
        }
    }

    private sealed class CountingSigner : GraphMailSigner
    {
        private int calls;

        internal CountingSigner(GraphMailCertificateSigner inner)
        {
            Inner = inner;
        }

        internal GraphMailCertificateSigner Inner { get; private set; }

        internal int Calls
        {
            get { return calls; }
        }

        public override byte[] Sign(string algorithm, byte[] data)
        {
            System.Threading.Interlocked.Increment(ref calls);
            return Inner.Sign(algorithm, data);
        }
    }

    /// <summary>Options with the emulator's settings of the base configuration, no credential.</summary>
    private static GraphMailConnectOptions Options(Dictionary<string, object> settings)
    {
        GraphMailConnectOptions options = new GraphMailConnectOptions();
        options.TenantId = MiniJson.GetString(settings, "tenantId");
        options.ClientId = MiniJson.GetString(settings, "clientId");
        options.AuthorityHost = MiniJson.GetString(settings, "authorityHost");
        options.GraphEndpoint = MiniJson.GetString(settings, "graphEndpoint");
        options.CaCertificatePath = MiniJson.GetString(settings, "caCertificatePath");
        options.TimeoutSeconds = MiniJson.GetInt(settings, "timeoutSeconds");
        return options;
    }

    /// <summary>The JSON object <paramref name="json"/> with more members (name, JSON value).</summary>
    private static string With(string json, params string[] nameValues)
    {
        StringBuilder sb = new StringBuilder(json.TrimEnd().TrimEnd('}'));
        for (int i = 0; i < nameValues.Length; i += 2)
        {
            sb.Append(',').Append(Q(nameValues[i])).Append(':').Append(nameValues[i + 1]);
        }
        return sb.Append('}').ToString();
    }

    private static string Message(string from, string subject)
    {
        return InteropTests.Obj("from", Q(from), "to", Q("ops@fabrikam.test"), "subject", Q(subject), "body", Q("hello"));
    }

    private static void SendSimple(GraphMailClient client, string from, string subject)
    {
        InteropTests.SendSimple(client, from, subject);
    }

    private static string Q(string s)
    {
        return InteropTests.Q(s);
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

    private static GraphMailException Throws(Action action)
    {
        return InteropTests.Throws(action);
    }

    private static void Error(GraphMailException e, int status, string code, string kind, string category, bool terminating)
    {
        InteropTests.Error(e, status, code, kind, category, terminating);
    }
}
