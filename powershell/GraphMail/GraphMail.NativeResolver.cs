// GraphMail.NativeResolver.cs: PowerShell 7 only, and only outside Windows.
//
// The module loads this file (a separate, guarded Add-Type) only when it runs on PowerShell 7 on
// Linux or macOS. It uses System.Runtime.InteropServices.NativeLibrary, which exists on .NET Core
// 3+ but not on .NET Framework (Windows PowerShell 5.1) nor mono, so it cannot be compiled there:
// that is why it lives apart from GraphMail.Native.cs. On Windows, both editions preload the DLL by
// full path instead (Native.PreloadWindows), because the Windows loader matches an already-loaded
// module by name; the Linux and macOS loaders do not, hence this resolver
// (shared/docs/style.md section 3.5; the pattern of jborean93/PSOpenAD).
//
// Usage from the module:
//   [GraphMail.NativeResolver]::Register([GraphMail.Native].Assembly, $fullPathToLibgraphmail)
// From then on, every DllImport("graphmail") of that assembly loads, in this order:
//   1. the file named by the GRAPHMAIL_NATIVE_LIBRARY environment variable, when it is set (a
//      custom build);
//   2. the full path given to Register (runtimes/<rid>/native/libgraphmail.so or .dylib).
// A library that cannot be loaded raises DllNotFoundException naming the path. Registering again
// (a re-import of the module) only updates the path; .NET has no way to remove a resolver.
//
// Kept to conservative C# like GraphMail.Native.cs; it does not reference GraphMail.Native, so it
// compiles on its own or together with it.

using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace GraphMail
{
    /// <summary>Resolves DllImport("graphmail") to a full path on PowerShell 7 outside Windows.</summary>
    public static class NativeResolver
    {
        /// <summary>The environment variable that overrides the library path (a custom build).</summary>
        public const string EnvironmentOverride = "GRAPHMAIL_NATIVE_LIBRARY";

        private const string LibraryName = "graphmail";

        private static readonly object Gate = new object();
        private static readonly List<Assembly> Registered = new List<Assembly>();
        private static string modulePath;
        private static IntPtr loaded = IntPtr.Zero;
        private static string loadedPath;

        /// <summary>Makes DllImport("graphmail") in <paramref name="nativeAssembly"/> (pass
        /// [GraphMail.Native].Assembly) load <paramref name="libraryFullPath"/>, or the file named by
        /// GRAPHMAIL_NATIVE_LIBRARY when that is set. Idempotent: a second call only updates the path.</summary>
        public static void Register(Assembly nativeAssembly, string libraryFullPath)
        {
            if (nativeAssembly == null)
            {
                throw new ArgumentNullException("nativeAssembly");
            }
            if (string.IsNullOrEmpty(libraryFullPath) || !Path.IsPathRooted(libraryFullPath))
            {
                throw new ArgumentException("The native library path must be a full path.", "libraryFullPath");
            }
            lock (Gate)
            {
                modulePath = libraryFullPath;
                if (Registered.Contains(nativeAssembly))
                {
                    return;
                }
                try
                {
                    NativeLibrary.SetDllImportResolver(nativeAssembly, Resolve);
                }
                catch (InvalidOperationException)
                {
                    // A resolver is already set for this assembly: an earlier load of this file in
                    // the same session registered it. Keep that one.
                }
                Registered.Add(nativeAssembly);
            }
        }

        /// <summary>The path the next load would use: GRAPHMAIL_NATIVE_LIBRARY when set, else the
        /// path given to Register (null before Register). For -Verbose messages.</summary>
        public static string EffectivePath()
        {
            string overridePath = Environment.GetEnvironmentVariable(EnvironmentOverride);
            if (!string.IsNullOrEmpty(overridePath))
            {
                return Path.GetFullPath(overridePath);
            }
            lock (Gate)
            {
                return modulePath;
            }
        }

        /// <summary>The DllImportResolver callback. Returns IntPtr.Zero (default probing) for any
        /// other library name; loads the GraphMail library once and reuses the handle.</summary>
        private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
        {
            if (!string.Equals(libraryName, LibraryName, StringComparison.Ordinal))
            {
                return IntPtr.Zero;
            }
            string path = EffectivePath();
            lock (Gate)
            {
                if (loaded != IntPtr.Zero && string.Equals(path, loadedPath, StringComparison.Ordinal))
                {
                    return loaded;
                }
                if (string.IsNullOrEmpty(path))
                {
                    throw new DllNotFoundException(
                        "GraphMail: the native library path is not set (set " + EnvironmentOverride + " or re-import the module).");
                }
                IntPtr handle;
                if (!NativeLibrary.TryLoad(path, out handle))
                {
                    throw new DllNotFoundException(
                        "GraphMail: cannot load the native library '" + path + "'. Check that the file exists and matches this "
                        + "platform and architecture, or point " + EnvironmentOverride + " at a build of libgraphmail.");
                }
                loaded = handle;
                loadedPath = path;
                return handle;
            }
        }
    }
}
