// GraphMail.Transforms.cs: the argument transformation that lets Send-GraphMail's -Encoding take
// the names Send-MailMessage takes ('utf8', 'ascii', 'unicode', 'oem', a code page number or a .NET
// encoding name) while the parameter keeps Send-MailMessage's type, [System.Text.Encoding].
//
// This is the only C# of the module that references System.Management.Automation, so it lives
// apart from GraphMail.Native.cs (which must not). The module compiles it with a guarded
// Add-Type -Path and no -ReferencedAssemblies: Add-Type references System.Management.Automation by
// default on Windows PowerShell 5.1 and on PowerShell 7. C# 5 only (5.1's Add-Type compiler), and
// free of warnings (PowerShell 7's Add-Type turns warnings into errors).
//
// The encoding does not change what is sent (GraphMail always sends UTF-8); the module passes its
// WebName to the library, which reports it with a verbose note.

using System;
using System.Globalization;
using System.Management.Automation;
using System.Reflection;
using System.Text;

namespace GraphMail
{
    /// <summary>Turns an encoding name or code page into a System.Text.Encoding, as
    /// Send-MailMessage's -Encoding does.</summary>
    [AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
    public sealed class EncodingTransformationAttribute : ArgumentTransformationAttribute
    {
        /// <summary>Returns an Encoding for an Encoding, a code page number or a name; anything
        /// else is returned unchanged for the parameter binder to refuse.</summary>
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            object value = inputData;
            PSObject wrapped = value as PSObject;
            if (wrapped != null)
            {
                value = wrapped.BaseObject;
            }
            if (value is Encoding)
            {
                return value;
            }
            try
            {
                if (value is int)
                {
                    return Encoding.GetEncoding((int)value);
                }
                string name = value as string;
                if (name == null)
                {
                    return inputData;
                }
                return FromName(name.Trim());
            }
            catch (ArgumentException e)
            {
                throw Refused(value, e);
            }
            catch (NotSupportedException e)
            {
                throw Refused(value, e);
            }
        }

        private static Encoding FromName(string name)
        {
            int codePage;
            if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out codePage))
            {
                return Encoding.GetEncoding(codePage);
            }
            switch (name.ToLowerInvariant())
            {
                case "ascii": return Encoding.ASCII;
                case "bigendianunicode": return Encoding.BigEndianUnicode;
                case "bigendianutf32": return new UTF32Encoding(true, true);
                case "default": return Encoding.Default;
                case "oem": return Oem();
                case "unicode": return Encoding.Unicode;
                case "utf7": return Utf7();
                case "utf8": return new UTF8Encoding(false);
                case "utf8bom": return new UTF8Encoding(true);
                case "utf8nobom": return new UTF8Encoding(false);
                case "utf32": return Encoding.UTF32;
                default: return Encoding.GetEncoding(name);
            }
        }

        private static Encoding Oem()
        {
            try
            {
                return Encoding.GetEncoding(CultureInfo.CurrentCulture.TextInfo.OEMCodePage);
            }
            catch (ArgumentException)
            {
                return Encoding.Default; // no code page provider: the name is all that is used
            }
            catch (NotSupportedException)
            {
                return Encoding.Default;
            }
        }

        private static Encoding Utf7()
        {
            // Through reflection: Encoding.UTF7 is obsolete on .NET 5+ (a warning, hence an error in
            // PowerShell 7's Add-Type), yet it is what Send-MailMessage gives for 'utf7'.
            PropertyInfo utf7 = typeof(Encoding).GetProperty("UTF7");
            Encoding encoding = utf7 == null ? null : utf7.GetValue(null, null) as Encoding;
            return encoding ?? new UTF8Encoding(false);
        }

        private static ArgumentTransformationMetadataException Refused(object value, Exception inner)
        {
            string message = string.Format(CultureInfo.InvariantCulture,
                "'{0}' is not an encoding. Use ascii, bigendianunicode, bigendianutf32, oem, unicode, utf7, utf8, utf8BOM, utf8NoBOM, utf32, a code page number or a .NET encoding name (GraphMail sends UTF-8 in any case).",
                value);
            return new ArgumentTransformationMetadataException(message, inner);
        }
    }
}
