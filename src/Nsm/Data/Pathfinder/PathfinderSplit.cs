namespace Nsm.Data.Pathfinder;

/// <summary>The three parts of a generated Pathfinder set; each draws its examples from its own random streams.</summary>
internal enum PathfinderSplit
{
    Train,
    Validation,
    Test,
}
