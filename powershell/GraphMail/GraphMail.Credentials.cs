// GraphMail.Credentials.cs: the credentials of Connect-GraphMail that need .NET, and the mapping of
// its parameters to the library's configuration JSON.
//
//  * GraphMailCertificates.FindCertificate: a certificate of the Windows certificate store
//    (CurrentUser\My or LocalMachine\My) by thumbprint, with its private key.
//  * GraphMailCertificateSigner: signs the client assertion that the library builds, with the
//    certificate's key in .NET (graph_client_new_with_signer), so a key marked non-exportable, or
//    kept by a smart card or a TPM, works: the library only ever gets the certificate and the
//    signature, never the key.
//  * GraphMailConnectOptions: Connect-GraphMail's parameters as properties;
//    GraphMailClient.CreateFromOptions turns them into the configuration JSON (SecureStrings added
//    without becoming managed strings) and creates the client, with the signer for a store
//    certificate.
//
// Compiled together with GraphMail.Native.cs (one Add-Type, one assembly; the mono tests compile
// both), in C# 5 (Windows PowerShell 5.1's Add-Type), and with no reference beyond mscorlib and
// System.dll, the assemblies 5.1's Add-Type references by default: RSACertificateExtensions
// (System.Core on .NET Framework) is reached through reflection. Needs .NET Framework 4.6 or later
// (RSASignaturePadding), which every Windows that runs PowerShell 5.1 can have.
//
// The signing callback runs on a library thread, one call at a time per client, only when a new
// token is needed; it never throws into native code: a failure returns non-zero (the token request
// then fails with SignerFailed) and its message is kept for the GraphMailException the caller gets.

using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;

namespace GraphMail
{
    /// <summary>Signs the client assertions of a client made with GraphMailClient.CreateWithSigner.
    /// Subclass it to sign elsewhere (an HSM, a signing service); GraphMailCertificateSigner signs
    /// with a certificate's key.</summary>
    public abstract class GraphMailSigner
    {
        private string lastError;

        /// <summary>Signs <paramref name="data"/> with SHA-256 and, for "PS256", RSASSA-PSS (salt
        /// length 32) or, for "RS256", RSASSA-PKCS1-v1_5, and returns the signature (as many bytes
        /// as the key's modulus). Called on a library thread, one call at a time per client. Throw
        /// to report a failure: the message (never a secret) is added to the SignerFailed error.</summary>
        public abstract byte[] Sign(string algorithm, byte[] data);

        /// <summary>The message of the last failure of Sign (or of the callback around it) that no
        /// error has reported yet, or null.</summary>
        public string LastError
        {
            get { return Volatile.Read(ref lastError); }
        }

        /// <summary>Takes the last failure's message (null when none), so that it is reported once.</summary>
        internal string TakeLastError()
        {
            return Interlocked.Exchange(ref lastError, null);
        }

        /// <summary>The graph_sign_callback body: never throws. 0 on success, non-zero on failure.</summary>
        internal int SignNative(IntPtr algorithm, IntPtr data, UIntPtr dataLength, IntPtr signatureOut,
            UIntPtr signatureCapacity, IntPtr signatureLengthOut)
        {
            try
            {
                if (algorithm == IntPtr.Zero || data == IntPtr.Zero || signatureOut == IntPtr.Zero || signatureLengthOut == IntPtr.Zero)
                {
                    return Fail("the library passed a NULL pointer to the signing callback");
                }
                ulong length = dataLength.ToUInt64();
                if (length == 0 || length > MaxSignedBytes)
                {
                    return Fail(string.Format(CultureInfo.InvariantCulture, "the library asked to sign {0} bytes", length));
                }
                byte[] bytes = new byte[(int)length];
                Marshal.Copy(data, bytes, 0, bytes.Length);
                byte[] signature = Sign(Utf8.Decode(algorithm, false), bytes);
                if (signature == null || signature.Length == 0)
                {
                    return Fail("the signer returned no signature");
                }
                if ((ulong)signature.Length > signatureCapacity.ToUInt64())
                {
                    return Fail(string.Format(CultureInfo.InvariantCulture,
                        "the signature has {0} bytes, more than the {1} the library has room for", signature.Length, signatureCapacity.ToUInt64()));
                }
                Marshal.Copy(signature, 0, signatureOut, signature.Length);
                Marshal.WriteIntPtr(signatureLengthOut, new IntPtr(signature.Length)); // size_t
                return 0;
            }
            catch (Exception e)
            {
                // Never into native code: remember what went wrong for the error the caller gets.
                TargetInvocationException wrapped = e as TargetInvocationException;
                Exception reported = wrapped != null && wrapped.InnerException != null ? wrapped.InnerException : e;
                return Fail(reported.Message);
            }
        }

        /// <summary>Client assertions are a few kilobytes; anything near this is not one.</summary>
        private const ulong MaxSignedBytes = 1 << 20;

        private int Fail(string message)
        {
            Volatile.Write(ref lastError, string.IsNullOrEmpty(message) ? "the signer failed" : message);
            return 1;
        }
    }

    /// <summary>Signs client assertions with an X.509 certificate's RSA private key, in .NET: the key
    /// never leaves the certificate store (or smart card), so non-exportable keys work.</summary>
    public sealed class GraphMailCertificateSigner : GraphMailSigner
    {
        private const string RsaOid = "1.2.840.113549.1.1.1";
        private static readonly byte[] Probe = Encoding.ASCII.GetBytes("GraphMail: can this key sign with SHA-256?");
        private static MethodInfo getRsaPrivateKey;
        private static bool getRsaPrivateKeyLooked;
        private static readonly object LookupGate = new object();

        private readonly object gate = new object();
        private readonly RSA key;

        /// <summary>Opens the certificate's RSA private key and checks that it signs with SHA-256,
        /// choosing PS256 (RSASSA-PSS) when the key can do PSS and RS256 (PKCS#1 v1.5) otherwise.
        /// Throws GraphMailException: CertificateNoPrivateKey, CertificateNotRsa, or
        /// CertificateKeyUnusable (the key cannot be opened, e.g. no permission, or cannot sign
        /// with SHA-256).</summary>
        public GraphMailCertificateSigner(X509Certificate2 certificate)
        {
            if (certificate == null)
            {
                throw new ArgumentNullException("certificate");
            }
            Certificate = certificate;
            CheckRsa(certificate, null);
            if (!certificate.HasPrivateKey)
            {
                throw GraphMailCertificates.NoPrivateKey(certificate, null);
            }
            key = OpenPrivateKey(certificate);
            Exception psFailure = TrySign(RSASignaturePadding.Pss);
            if (psFailure == null)
            {
                Algorithm = "PS256";
                SupportsPss = true;
                return;
            }
            Exception rsFailure = TrySign(RSASignaturePadding.Pkcs1);
            if (rsFailure != null)
            {
                throw GraphMailException.Local(1, "CertificateKeyUnusable", "invalidInput", "certificateThumbprint",
                    "The private key of certificate " + Describe(certificate) + " cannot sign with SHA-256: " + rsFailure.Message +
                    " Re-import the certificate with a key storage provider that supports SHA-256 (for example " +
                    "'Microsoft Software Key Storage Provider', or 'Microsoft Enhanced RSA and AES Cryptographic Provider').");
            }
            Algorithm = "RS256";
            SupportsPss = false;
        }

        /// <summary>The certificate (with its private key).</summary>
        public X509Certificate2 Certificate { get; private set; }

        /// <summary>"PS256" when the key can sign with RSASSA-PSS, else "RS256": the algorithm to
        /// ask the library for (certificateAlgorithm).</summary>
        public string Algorithm { get; private set; }

        /// <summary>Whether the key signs with RSASSA-PSS (PS256).</summary>
        public bool SupportsPss { get; private set; }

        /// <summary>Signs with the certificate's key (see GraphMailSigner.Sign).</summary>
        public override byte[] Sign(string algorithm, byte[] data)
        {
            if (data == null)
            {
                throw new ArgumentNullException("data");
            }
            RSASignaturePadding padding;
            if (algorithm == "PS256")
            {
                padding = RSASignaturePadding.Pss;
            }
            else if (algorithm == "RS256")
            {
                padding = RSASignaturePadding.Pkcs1;
            }
            else
            {
                throw new NotSupportedException("The library asked for the signature algorithm '" + algorithm +
                    "'; a certificate signer signs PS256 and RS256.");
            }
            lock (gate)
            {
                return key.SignData(data, HashAlgorithmName.SHA256, padding);
            }
        }

        /// <summary>The configuration's signingCertificate value: the certificate's DER bytes in
        /// base64 (a JSON string) or, with <paramref name="withChain"/>, a JSON array of the
        /// certificate followed by the chain .NET builds for it (intermediates; not a self-signed
        /// root), which the library sends as x5c.</summary>
        public string SigningCertificateJson(bool withChain)
        {
            if (!withChain)
            {
                return JsonText.Quote(Convert.ToBase64String(Certificate.RawData));
            }
            List<string> items = new List<string>();
            items.Add(JsonText.Quote(Convert.ToBase64String(Certificate.RawData)));
            foreach (X509Certificate2 issuer in ChainOf(Certificate))
            {
                items.Add(JsonText.Quote(Convert.ToBase64String(issuer.RawData)));
            }
            return "[" + string.Join(",", items.ToArray()) + "]";
        }

        /// <summary>The issuers of <paramref name="certificate"/> that .NET finds (without the
        /// certificate itself and without a self-signed root); empty when there are none or the
        /// chain cannot be built.</summary>
        private static List<X509Certificate2> ChainOf(X509Certificate2 certificate)
        {
            List<X509Certificate2> issuers = new List<X509Certificate2>();
            X509Chain chain = new X509Chain();
            try
            {
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                chain.ChainPolicy.VerificationFlags = X509VerificationFlags.AllFlags;
                chain.Build(certificate); // the elements are there even when the chain is not trusted
                for (int i = 1; i < chain.ChainElements.Count; i++)
                {
                    X509Certificate2 element = chain.ChainElements[i].Certificate;
                    if (element.Subject == element.Issuer && i == chain.ChainElements.Count - 1)
                    {
                        break; // the root: the identity platform has it
                    }
                    issuers.Add(element);
                }
            }
            catch (CryptographicException)
            {
                issuers.Clear(); // the certificate alone
            }
            finally
            {
                IDisposable disposable = chain as IDisposable; // .NET Framework 4.6+
                if (disposable != null)
                {
                    disposable.Dispose();
                }
            }
            return issuers;
        }

        /// <summary>Signs a probe with <paramref name="padding"/>: null when it works, else why not.</summary>
        private Exception TrySign(RSASignaturePadding padding)
        {
            try
            {
                lock (gate)
                {
                    byte[] signature = key.SignData(Probe, HashAlgorithmName.SHA256, padding);
                    if (signature == null || signature.Length == 0)
                    {
                        return new CryptographicException("The key returned an empty signature.");
                    }
                }
                return null;
            }
            catch (CryptographicException e)
            {
                return e;
            }
            catch (NotSupportedException e)
            {
                return e;
            }
            catch (ArgumentException e)
            {
                return e; // mono: "Specified padding mode is not valid for this algorithm."
            }
        }

        internal static void CheckRsa(X509Certificate2 certificate, string location)
        {
            string oid = certificate.PublicKey == null || certificate.PublicKey.Oid == null ? null : certificate.PublicKey.Oid.Value;
            if (oid != RsaOid)
            {
                throw GraphMailException.Local(1, "CertificateNotRsa", "invalidInput", "certificateThumbprint",
                    "Certificate " + Describe(certificate) + (location == null ? "" : " in " + location) + " has a " +
                    (certificate.PublicKey == null || certificate.PublicKey.Oid == null ? "non-RSA" : certificate.PublicKey.Oid.FriendlyName ?? oid) +
                    " key; Microsoft Entra ID application certificates must be RSA (2048 bits or more).");
            }
        }

        internal static string Describe(X509Certificate2 certificate)
        {
            return certificate.Thumbprint + " (" + certificate.Subject + ")";
        }

        /// <summary>The certificate's RSA private key: GetRSAPrivateKey (RSACng for CNG keys on .NET
        /// Framework 4.6+, any RSA on .NET Core and mono), reached through reflection because it
        /// lives in System.Core on .NET Framework; PrivateKey where it does not exist.</summary>
        private static RSA OpenPrivateKey(X509Certificate2 certificate)
        {
            RSA rsa;
            try
            {
                MethodInfo open = RsaPrivateKeyMethod();
                rsa = open != null ? (RSA)open.Invoke(null, new object[] { certificate }) : certificate.PrivateKey as RSA;
            }
            catch (Exception e)
            {
                TargetInvocationException wrapped = e as TargetInvocationException;
                Exception cause = wrapped != null && wrapped.InnerException != null ? wrapped.InnerException : e;
                throw GraphMailException.Local(1, "CertificateKeyUnusable", "invalidInput", "certificateThumbprint",
                    "The private key of certificate " + Describe(certificate) + " cannot be opened: " + cause.Message +
                    " Check that this account may use the key (certlm.msc or certmgr.msc: All Tasks > Manage Private Keys).");
            }
            if (rsa == null)
            {
                throw GraphMailCertificates.NoPrivateKey(certificate, null);
            }
            return rsa;
        }

        private static MethodInfo RsaPrivateKeyMethod()
        {
            lock (LookupGate)
            {
                if (!getRsaPrivateKeyLooked)
                {
                    getRsaPrivateKeyLooked = true;
                    const string name = "System.Security.Cryptography.X509Certificates.RSACertificateExtensions";
                    Type type = typeof(X509Certificate2).Assembly.GetType(name, false)
                        ?? Type.GetType(name + ", System.Security.Cryptography.X509Certificates", false)
                        ?? Type.GetType(name + ", System.Core, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089", false);
                    if (type != null)
                    {
                        getRsaPrivateKey = type.GetMethod("GetRSAPrivateKey", BindingFlags.Public | BindingFlags.Static,
                            null, new Type[] { typeof(X509Certificate2) }, null);
                    }
                }
                return getRsaPrivateKey;
            }
        }
    }

    /// <summary>Certificates of the certificate store.</summary>
    public static class GraphMailCertificates
    {
        /// <summary>The certificate with this thumbprint in the My (Personal) store of
        /// <paramref name="storeLocation"/> ("CurrentUser", the default when null or empty, or
        /// "LocalMachine"), with its private key. The thumbprint is compared without spaces,
        /// colons or invisible characters (certmgr's copy adds U+200E), in any case. Throws
        /// GraphMailException: InvalidConfig (not a thumbprint, unknown store location),
        /// CertificateNotFound, CertificateNoPrivateKey or CertificateNotRsa.</summary>
        public static X509Certificate2 FindCertificate(string thumbprint, string storeLocation)
        {
            string wanted = NormalizeThumbprint(thumbprint);
            StoreLocation location = ParseStoreLocation(storeLocation);
            string where = "Cert:\\" + location + "\\My";
            X509Certificate2 found = null;
            X509Store store = new X509Store(StoreName.My, location);
            try
            {
                try
                {
                    store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
                }
                catch (CryptographicException e)
                {
                    throw NotFound(wanted, where, e.Message);
                }
                catch (PlatformNotSupportedException e)
                {
                    throw NotFound(wanted, where, e.Message); // .NET on Linux: no LocalMachine\My
                }
                foreach (X509Certificate2 candidate in store.Certificates)
                {
                    if (found == null && string.Equals(candidate.Thumbprint, wanted, StringComparison.OrdinalIgnoreCase))
                    {
                        found = candidate;
                    }
                }
            }
            finally
            {
                store.Close();
            }
            if (found == null)
            {
                throw NotFound(wanted, where, null);
            }
            GraphMailCertificateSigner.CheckRsa(found, where);
            if (!found.HasPrivateKey)
            {
                throw NoPrivateKey(found, where);
            }
            return found;
        }

        /// <summary>The thumbprint in upper case without whitespace, colons, dashes and invisible
        /// (format) characters such as U+200E. Throws GraphMailException InvalidConfig when what is
        /// left is not 40 hexadecimal digits (a SHA-1 thumbprint).</summary>
        public static string NormalizeThumbprint(string thumbprint)
        {
            StringBuilder sb = new StringBuilder(40);
            if (thumbprint != null)
            {
                foreach (char c in thumbprint)
                {
                    if (char.IsWhiteSpace(c) || c == ':' || c == '-' || char.GetUnicodeCategory(c) == UnicodeCategory.Format)
                    {
                        continue;
                    }
                    sb.Append(char.ToUpperInvariant(c));
                }
            }
            string normalized = sb.ToString();
            bool hex = normalized.Length == 40;
            foreach (char c in normalized)
            {
                hex = hex && ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'));
            }
            if (!hex)
            {
                throw GraphMailException.Local(1, "InvalidConfig", "invalidInput", "certificateThumbprint",
                    "'" + Printable(thumbprint) + "' is not a certificate thumbprint: expected 40 hexadecimal digits (SHA-1), " +
                    "as certmgr.msc or Get-ChildItem Cert:\\CurrentUser\\My shows it.");
            }
            return normalized;
        }

        internal static StoreLocation ParseStoreLocation(string storeLocation)
        {
            if (string.IsNullOrEmpty(storeLocation) || string.Equals(storeLocation, "CurrentUser", StringComparison.OrdinalIgnoreCase))
            {
                return StoreLocation.CurrentUser;
            }
            if (string.Equals(storeLocation, "LocalMachine", StringComparison.OrdinalIgnoreCase))
            {
                return StoreLocation.LocalMachine;
            }
            throw GraphMailException.Local(1, "InvalidConfig", "invalidInput", "certificateStoreLocation",
                "The certificate store location '" + Printable(storeLocation) + "' is not CurrentUser or LocalMachine.");
        }

        internal static GraphMailException NoPrivateKey(X509Certificate2 certificate, string where)
        {
            return GraphMailException.Local(1, "CertificateNoPrivateKey", "invalidInput", "certificateThumbprint",
                "Certificate " + GraphMailCertificateSigner.Describe(certificate) + (where == null ? "" : " in " + where) +
                " has no private key (or this account cannot see it). Import the certificate with its key (the .pfx, not the .cer) " +
                "for the account that runs GraphMail.");
        }

        private static GraphMailException NotFound(string thumbprint, string where, string detail)
        {
            return GraphMailException.Local(6, "CertificateNotFound", "io", "certificateThumbprint",
                "No certificate with thumbprint " + thumbprint + " in " + where + (detail == null ? "" : " (" + detail + ")") +
                ". Check the thumbprint (Get-ChildItem " + where + "), that the certificate was imported for this account, " +
                "or the store location (-CertificateStoreLocation CurrentUser or LocalMachine).");
        }

        /// <summary>At most 60 characters of a value for a message, control characters replaced.</summary>
        private static string Printable(string value)
        {
            if (value == null)
            {
                return "";
            }
            StringBuilder sb = new StringBuilder();
            foreach (char c in value)
            {
                if (sb.Length >= 60)
                {
                    sb.Append("...");
                    break;
                }
                sb.Append(char.IsControl(c) || char.GetUnicodeCategory(c) == UnicodeCategory.Format ? '?' : c);
            }
            return sb.ToString();
        }
    }

    /// <summary>Connect-GraphMail's settings: where to connect and exactly one credential (or none:
    /// the environment's). GraphMailClient.CreateFromOptions makes the client; ToConfigJson shows the
    /// configuration without its secrets.</summary>
    public sealed class GraphMailConnectOptions
    {
        /// <summary>The credential keys of the configuration and the keys that only go with one: a
        /// credential given here replaces every one of them from Defaults.</summary>
        private static readonly string[] CredentialKeys =
        {
            "clientSecret", "certificatePath", "certificatePassword", "sendCertificateChain", "certificateAlgorithm",
            "clientAssertion", "clientAssertionFile", "accessToken", "managedIdentity", "signingCertificate",
            "deviceCode", "scopes", "tokenCachePath", "deviceCodePrompt",
        };

        /// <summary>Settings for every key not set by a property (the module passes the
        /// environment's, with useEnvironment = true): configuration key to a string, number or
        /// boolean. Its credential keys are left out when a property names a credential.</summary>
        public IDictionary Defaults { get; set; }

        /// <summary>The directory (tenant) id or domain (tenantId).</summary>
        public string TenantId { get; set; }

        /// <summary>The application (client) id (clientId); with ManagedIdentity, the client id of
        /// a user-assigned managed identity instead.</summary>
        public string ClientId { get; set; }

        /// <summary>Global, USGov, USGovDoD or China (cloud).</summary>
        public string Cloud { get; set; }

        /// <summary>The sign-in host (authorityHost).</summary>
        public string AuthorityHost { get; set; }

        /// <summary>The Graph service root (graphEndpoint).</summary>
        public string GraphEndpoint { get; set; }

        /// <summary>A PEM file of extra trusted CAs, a full path (caCertificatePath).</summary>
        public string CaCertificatePath { get; set; }

        /// <summary>A proxy URL, "system" or "none" (proxy).</summary>
        public string Proxy { get; set; }

        /// <summary>The timeout of each HTTP request in seconds (timeoutSeconds); null: the default.</summary>
        public int? TimeoutSeconds { get; set; }

        /// <summary>Credential: a client secret (clientSecret).</summary>
        public SecureString ClientSecret { get; set; }

        /// <summary>Credential: a certificate with its private key, signed with in .NET
        /// (signingCertificate).</summary>
        public X509Certificate2 Certificate { get; set; }

        /// <summary>Credential: the thumbprint of a certificate in the My store of
        /// CertificateStoreLocation, signed with in .NET (signingCertificate).</summary>
        public string CertificateThumbprint { get; set; }

        /// <summary>CurrentUser (null: the default) or LocalMachine.</summary>
        public string CertificateStoreLocation { get; set; }

        /// <summary>Credential: a PEM or PFX file with the certificate and its key, a full path,
        /// read by the library (certificatePath).</summary>
        public string CertificatePath { get; set; }

        /// <summary>The PFX file's password (certificatePassword).</summary>
        public SecureString CertificatePassword { get; set; }

        /// <summary>Send the certificate chain (x5c) for subject name/issuer authentication
        /// (sendCertificateChain).</summary>
        public bool SendCertificateChain { get; set; }

        /// <summary>PS256 or RS256 (certificateAlgorithm); null: for Certificate and
        /// CertificateThumbprint what the key supports (PS256 when it can do PSS), for
        /// CertificatePath the library's default.</summary>
        public string CertificateAlgorithm { get; set; }

        /// <summary>Credential: the managed identity of the Azure resource (managedIdentity):
        /// system-assigned, or the user-assigned one named by ClientId, ManagedIdentityObjectId or
        /// ManagedIdentityResourceId.</summary>
        public bool ManagedIdentity { get; set; }

        /// <summary>The object (principal) id of a user-assigned managed identity.</summary>
        public string ManagedIdentityObjectId { get; set; }

        /// <summary>The Azure resource id of a user-assigned managed identity.</summary>
        public string ManagedIdentityResourceId { get; set; }

        /// <summary>Credential: sign in as a user with the device code flow (deviceCode); ClientId
        /// is a public client application.</summary>
        public bool DeviceCode { get; set; }

        /// <summary>Delegated scopes for DeviceCode (scopes); null: the library's default.</summary>
        public string[] Scopes { get; set; }

        /// <summary>A file that keeps the refresh token between sessions, a full path (tokenCachePath).</summary>
        public string TokenCachePath { get; set; }

        /// <summary>"stderr" (the library writes the sign-in message to standard error) or "none"
        /// (only in the progress JSON, GraphMailSignIn.TakeSignInPrompt), for DeviceCode
        /// (deviceCodePrompt); null: the library's default, stderr.</summary>
        public string DeviceCodePrompt { get; set; }

        /// <summary>Credential: a pre-acquired access token (accessToken).</summary>
        public SecureString AccessToken { get; set; }

        /// <summary>Which credential the options name: ClientSecret, Certificate,
        /// CertificateThumbprint, CertificatePath, ManagedIdentity, DeviceCode or AccessToken
        /// (the first of them set, in this order), or Environment when none is.</summary>
        public string CredentialName
        {
            get
            {
                if (ClientSecret != null) return "ClientSecret";
                if (Certificate != null) return "Certificate";
                if (!string.IsNullOrEmpty(CertificateThumbprint)) return "CertificateThumbprint";
                if (!string.IsNullOrEmpty(CertificatePath)) return "CertificatePath";
                if (ManagedIdentity) return "ManagedIdentity";
                if (DeviceCode) return "DeviceCode";
                if (AccessToken != null) return "AccessToken";
                return "Environment";
            }
        }

        /// <summary>The configuration JSON these options give, without the SecureString secrets
        /// (which GraphMailClient.CreateFromOptions adds without making managed strings of them) and, for a
        /// store certificate, without signingCertificate and certificateAlgorithm (which need the
        /// store). Secrets that come as plain text in Defaults are included.</summary>
        public string ToConfigJson()
        {
            return JsonText.Object(Entries(null));
        }

        /// <summary>The settings of the connection without any credential (for a client made later
        /// with another credential, e.g. Send-GraphMail -Credential): every entry of the
        /// configuration but the credential keys, by key (case-insensitive).</summary>
        public Hashtable GetSettings()
        {
            // A Hashtable: PowerShell reads a missing key as $null, even in strict mode.
            Hashtable settings = new Hashtable(StringComparer.OrdinalIgnoreCase);
            foreach (KeyValuePair<string, object> entry in Entries(null))
            {
                if (Array.IndexOf(CredentialKeys, entry.Key) < 0)
                {
                    settings[entry.Key] = entry.Value;
                }
            }
            return settings;
        }

        internal bool HasCredential
        {
            get { return CredentialName != "Environment"; }
        }

        /// <summary>The certificate to sign with in .NET, looked up in the store for a thumbprint;
        /// null when the options name another credential.</summary>
        internal X509Certificate2 ResolveCertificate()
        {
            if (Certificate != null)
            {
                return Certificate;
            }
            if (!string.IsNullOrEmpty(CertificateThumbprint))
            {
                return GraphMailCertificates.FindCertificate(CertificateThumbprint, CertificateStoreLocation);
            }
            return null;
        }

        /// <summary>The SecureString secrets, as configuration key and value, in a fixed order.</summary>
        internal List<KeyValuePair<string, SecureString>> Secrets()
        {
            List<KeyValuePair<string, SecureString>> secrets = new List<KeyValuePair<string, SecureString>>();
            if (ClientSecret != null)
            {
                secrets.Add(new KeyValuePair<string, SecureString>("clientSecret", ClientSecret));
            }
            if (CertificatePassword != null && !string.IsNullOrEmpty(CertificatePath))
            {
                secrets.Add(new KeyValuePair<string, SecureString>("certificatePassword", CertificatePassword));
            }
            if (AccessToken != null)
            {
                secrets.Add(new KeyValuePair<string, SecureString>("accessToken", AccessToken));
            }
            return secrets;
        }

        /// <summary>The configuration entries (key, value: string, bool, int, long, double, string[],
        /// a Dictionary for managedIdentity, or JsonText.Raw), Defaults first, in order.</summary>
        internal List<KeyValuePair<string, object>> Entries(GraphMailCertificateSigner signer)
        {
            List<KeyValuePair<string, object>> entries = new List<KeyValuePair<string, object>>();
            bool credential = HasCredential;
            if (Defaults != null)
            {
                foreach (DictionaryEntry entry in Defaults)
                {
                    string key = Convert.ToString(entry.Key, CultureInfo.InvariantCulture);
                    object value = JsonText.Unwrap(entry.Value);
                    if (string.IsNullOrEmpty(key) || value == null || (credential && Array.IndexOf(CredentialKeys, key) >= 0))
                    {
                        continue;
                    }
                    Set(entries, key, value);
                }
            }
            SetText(entries, "tenantId", TenantId);
            if (!ManagedIdentity)
            {
                SetText(entries, "clientId", ClientId);
            }
            SetText(entries, "cloud", Cloud);
            SetText(entries, "authorityHost", AuthorityHost);
            SetText(entries, "graphEndpoint", GraphEndpoint);
            SetText(entries, "caCertificatePath", CaCertificatePath);
            SetText(entries, "proxy", Proxy);
            if (TimeoutSeconds.HasValue)
            {
                Set(entries, "timeoutSeconds", TimeoutSeconds.Value);
            }

            // The credential: every one named is written, so that the library refuses two.
            if (signer != null)
            {
                Set(entries, "signingCertificate", new JsonText.Raw(signer.SigningCertificateJson(SendCertificateChain)));
                Set(entries, "certificateAlgorithm", string.IsNullOrEmpty(CertificateAlgorithm) ? signer.Algorithm : CertificateAlgorithm);
            }
            if (!string.IsNullOrEmpty(CertificatePath))
            {
                Set(entries, "certificatePath", CertificatePath);
                SetText(entries, "certificateAlgorithm", CertificateAlgorithm);
            }
            if (SendCertificateChain && (signer != null || !string.IsNullOrEmpty(CertificatePath)))
            {
                Set(entries, "sendCertificateChain", true);
            }
            if (ManagedIdentity)
            {
                Dictionary<string, object> identity = new Dictionary<string, object>(StringComparer.Ordinal);
                if (!string.IsNullOrEmpty(ClientId))
                {
                    identity["clientId"] = ClientId;
                }
                if (!string.IsNullOrEmpty(ManagedIdentityObjectId))
                {
                    identity["objectId"] = ManagedIdentityObjectId;
                }
                if (!string.IsNullOrEmpty(ManagedIdentityResourceId))
                {
                    identity["resourceId"] = ManagedIdentityResourceId;
                }
                Set(entries, "managedIdentity", identity.Count == 0 ? (object)true : identity);
            }
            if (DeviceCode)
            {
                Set(entries, "deviceCode", true);
                if (Scopes != null && Scopes.Length > 0)
                {
                    Set(entries, "scopes", Scopes);
                }
                SetText(entries, "tokenCachePath", TokenCachePath);
                SetText(entries, "deviceCodePrompt", DeviceCodePrompt);
            }
            return entries;
        }

        private static void SetText(List<KeyValuePair<string, object>> entries, string key, string value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                Set(entries, key, value);
            }
        }

        /// <summary>Replaces the entry of <paramref name="key"/> in place, or adds it at the end.</summary>
        private static void Set(List<KeyValuePair<string, object>> entries, string key, object value)
        {
            for (int i = 0; i < entries.Count; i++)
            {
                if (entries[i].Key == key)
                {
                    entries[i] = new KeyValuePair<string, object>(key, value);
                    return;
                }
            }
            entries.Add(new KeyValuePair<string, object>(key, value));
        }
    }

    /// <summary>Routes the library's signing callback to the GraphMailSigner of each client. The
    /// callback is one static delegate, alive for the whole process, so its function pointer can
    /// never dangle; userdata is a registration number, looked up under a lock, so a call that
    /// arrives after every client and operation using the signer was freed fails cleanly
    /// (SignerFailed) instead of reaching a collected object.</summary>
    internal sealed class SignerRegistration
    {
        private static readonly object Gate = new object();
        private static readonly Dictionary<long, SignerRegistration> Live = new Dictionary<long, SignerRegistration>();
        private static long next;

        /// <summary>The callback handed to graph_client_new_with_signer; never collected.</summary>
        internal static readonly Native.SignCallback Callback = Invoke;

        private readonly long id;
        private int references;

        private SignerRegistration(long id, GraphMailSigner signer)
        {
            this.id = id;
            Signer = signer;
            references = 1;
        }

        internal GraphMailSigner Signer { get; private set; }

        internal IntPtr UserData
        {
            get { return new IntPtr(id); }
        }

        /// <summary>Registers a signer with one reference (the client's).</summary>
        internal static SignerRegistration Register(GraphMailSigner signer)
        {
            lock (Gate)
            {
                next++;
                SignerRegistration registration = new SignerRegistration(next, signer);
                Live[next] = registration;
                return registration;
            }
        }

        /// <summary>One more native object (a background operation) may call the signer.</summary>
        internal void AddRef()
        {
            lock (Gate)
            {
                references++;
            }
        }

        /// <summary>One native object that could call the signer was freed; the last one unregisters it.</summary>
        internal void Release()
        {
            lock (Gate)
            {
                if (references > 0 && --references == 0)
                {
                    Live.Remove(id);
                }
            }
        }

        private static int Invoke(IntPtr userData, IntPtr algorithm, IntPtr data, UIntPtr dataLength,
            IntPtr signatureOut, UIntPtr signatureCapacity, IntPtr signatureLengthOut)
        {
            try
            {
                SignerRegistration registration;
                lock (Gate)
                {
                    Live.TryGetValue(userData.ToInt64(), out registration);
                }
                if (registration == null)
                {
                    return 2; // the client is gone
                }
                return registration.Signer.SignNative(algorithm, data, dataLength, signatureOut, signatureCapacity, signatureLengthOut);
            }
            catch
            {
                return 3; // never into native code
            }
        }
    }

    /// <summary>Writes the JSON of configurations and local errors.</summary>
    internal static class JsonText
    {
        /// <summary>A value written as is (already JSON).</summary>
        internal sealed class Raw
        {
            internal Raw(string json)
            {
                Json = json;
            }

            internal string Json { get; private set; }
        }

        /// <summary>A JSON string literal.</summary>
        internal static string Quote(string s)
        {
            StringBuilder sb = new StringBuilder(s.Length + 2);
            sb.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    default:
                        if (c < 0x20)
                        {
                            sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            sb.Append(c);
                        }
                        break;
                }
            }
            return sb.Append('"').ToString();
        }

        /// <summary>A JSON object of the entries, in order.</summary>
        internal static string Object(IEnumerable<KeyValuePair<string, object>> entries)
        {
            StringBuilder sb = new StringBuilder("{");
            foreach (KeyValuePair<string, object> entry in entries)
            {
                if (sb.Length > 1)
                {
                    sb.Append(',');
                }
                sb.Append(Quote(entry.Key)).Append(':').Append(Value(entry.Value));
            }
            return sb.Append('}').ToString();
        }

        internal static string Value(object value)
        {
            value = Unwrap(value);
            if (value == null)
            {
                return "null";
            }
            Raw raw = value as Raw;
            if (raw != null)
            {
                return raw.Json;
            }
            string s = value as string;
            if (s != null)
            {
                return Quote(s);
            }
            if (value is bool)
            {
                return (bool)value ? "true" : "false";
            }
            if (value is int || value is long || value is short || value is byte || value is uint || value is ulong)
            {
                return Convert.ToString(value, CultureInfo.InvariantCulture);
            }
            if (value is double || value is float || value is decimal)
            {
                return Convert.ToDouble(value, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture);
            }
            IDictionary dictionary = value as IDictionary;
            if (dictionary != null)
            {
                List<KeyValuePair<string, object>> entries = new List<KeyValuePair<string, object>>();
                foreach (DictionaryEntry entry in dictionary)
                {
                    entries.Add(new KeyValuePair<string, object>(Convert.ToString(entry.Key, CultureInfo.InvariantCulture), entry.Value));
                }
                return Object(entries);
            }
            IEnumerable items = value as IEnumerable;
            if (items != null)
            {
                StringBuilder sb = new StringBuilder("[");
                foreach (object item in items)
                {
                    if (sb.Length > 1)
                    {
                        sb.Append(',');
                    }
                    sb.Append(Value(item));
                }
                return sb.Append(']').ToString();
            }
            // Anything else as its text; the library refuses a value of the wrong type by key.
            return Quote(Convert.ToString(value, CultureInfo.InvariantCulture));
        }

        /// <summary>The object inside a PowerShell PSObject (by name: this assembly does not
        /// reference System.Management.Automation); anything else unchanged.</summary>
        internal static object Unwrap(object value)
        {
            if (value != null && value.GetType().FullName == "System.Management.Automation.PSObject")
            {
                PropertyInfo baseObject = value.GetType().GetProperty("BaseObject");
                if (baseObject != null)
                {
                    return baseObject.GetValue(value, null);
                }
            }
            return value;
        }
    }
}
