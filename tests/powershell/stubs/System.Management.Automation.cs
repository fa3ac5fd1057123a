// A stub of the few System.Management.Automation types that GraphMail.Transforms.cs uses, with
// the same names and signatures, so tests/powershell_scripts.rs can compile that file with
// `mcs -langversion:5` on a machine without PowerShell. Not shipped in the module.

using System;

namespace System.Management.Automation
{
    public sealed class EngineIntrinsics
    {
    }

    public class PSObject
    {
        public PSObject(object obj)
        {
            BaseObject = obj;
        }

        public object BaseObject { get; private set; }
    }

    public abstract class CmdletMetadataAttribute : Attribute
    {
    }

    public abstract class ArgumentTransformationAttribute : CmdletMetadataAttribute
    {
        public abstract object Transform(EngineIntrinsics engineIntrinsics, object inputData);
    }

    public class ArgumentTransformationMetadataException : Exception
    {
        public ArgumentTransformationMetadataException(string message, Exception innerException)
            : base(message, innerException)
        {
        }
    }
}
