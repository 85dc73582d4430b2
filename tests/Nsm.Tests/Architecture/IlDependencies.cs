using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Nsm.Tests.Architecture;

/// <summary>
/// Every type an assembly's code refers to, read from its IL: base types, interfaces, fields,
/// signatures, attributes, local variables and the operands of every instruction in every method
/// body (lambdas and iterators are nested types, so their bodies count for the type that wrote them).
/// </summary>
public static class IlDependencies
{
    /// <summary>(namespace of the using type, namespace of the used type, where) for every reference inside the assembly itself.</summary>
    public static IEnumerable<(string From, string To, string Where)> Internal(string assemblyPath)
    {
        using var assembly = AssemblyDefinition.ReadAssembly(assemblyPath);
        var module = assembly.MainModule;
        foreach (var type in module.GetTypes())
        {
            var from = Namespace(type);
            // Compiler-generated namespaces (source-generated regexes) are not ours to place.
            if (!from.StartsWith("Nsm", StringComparison.Ordinal)) continue;
            foreach (var (used, where) in References(type))
            {
                if (used.Scope is not ModuleDefinition scope || scope != module) continue;
                var to = Namespace(used);
                if (to.StartsWith("Nsm", StringComparison.Ordinal)) yield return (from, to, $"{type.FullName} {where} -> {used.FullName}");
            }
        }
    }

    /// <summary>The namespace of a type, for nested types that of the outermost declaring type.</summary>
    static string Namespace(TypeReference type)
    {
        while (type.DeclaringType is not null) type = type.DeclaringType;
        return type.Namespace;
    }

    static IEnumerable<(TypeReference Type, string Where)> References(TypeDefinition type)
    {
        if (type.BaseType is not null) foreach (var t in Expand(type.BaseType)) yield return (t, "base");
        foreach (var i in type.Interfaces) foreach (var t in Expand(i.InterfaceType)) yield return (t, "interface");
        foreach (var a in Attributes(type)) yield return (a, "attribute");
        foreach (var f in type.Fields)
        {
            foreach (var t in Expand(f.FieldType)) yield return (t, $"field {f.Name}");
            foreach (var a in Attributes(f)) yield return (a, $"field {f.Name} attribute");
        }
        foreach (var p in type.Properties)
        {
            foreach (var t in Expand(p.PropertyType)) yield return (t, $"property {p.Name}");
            foreach (var a in Attributes(p)) yield return (a, $"property {p.Name} attribute");
        }
        foreach (var m in type.Methods)
        {
            var where = $"method {m.Name}";
            foreach (var t in Signature(m)) yield return (t, where);
            foreach (var a in Attributes(m)) yield return (a, where + " attribute");
            if (!m.HasBody) continue;
            foreach (var v in m.Body.Variables) foreach (var t in Expand(v.VariableType)) yield return (t, where + " local");
            foreach (var instruction in m.Body.Instructions)
                foreach (var t in Operand(instruction)) yield return (t, $"{where} body ({instruction.OpCode})");
        }
    }

    static IEnumerable<TypeReference> Operand(Instruction instruction) => instruction.Operand switch
    {
        TypeReference t => Expand(t),
        MethodReference m => Signature(m),
        FieldReference f => Expand(f.DeclaringType).Concat(Expand(f.FieldType)),
        _ => [],
    };

    static IEnumerable<TypeReference> Signature(MethodReference m)
    {
        var types = Expand(m.DeclaringType).Concat(Expand(m.ReturnType)).Concat(m.Parameters.SelectMany(p => Expand(p.ParameterType)));
        if (m is GenericInstanceMethod g) types = types.Concat(g.GenericArguments.SelectMany(Expand));
        return types;
    }

    static IEnumerable<TypeReference> Attributes(ICustomAttributeProvider provider) =>
        provider.CustomAttributes.SelectMany(a => Expand(a.AttributeType)
            .Concat(a.ConstructorArguments.Select(c => c.Value).OfType<TypeReference>().SelectMany(Expand)));

    /// <summary>A type with its element types (arrays, by-ref, pointers) and generic arguments, recursively.</summary>
    static IEnumerable<TypeReference> Expand(TypeReference type)
    {
        switch (type)
        {
            case GenericInstanceType g:
                foreach (var t in Expand(g.ElementType)) yield return t;
                foreach (var arg in g.GenericArguments) foreach (var t in Expand(arg)) yield return t;
                break;
            case TypeSpecification s:
                foreach (var t in Expand(s.ElementType)) yield return t;
                break;
            case GenericParameter:
                break;
            default:
                yield return type;
                break;
        }
    }
}
