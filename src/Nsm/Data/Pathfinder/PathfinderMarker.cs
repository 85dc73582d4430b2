namespace Nsm.Data.Pathfinder;

/// <summary>
/// One of the two end-point markers: a bright square of side 2·radius + 1 centred on an end of
/// curve <paramref name="Curve"/> (an index into <see cref="PathfinderImage.Curves"/>).
/// </summary>
internal sealed record PathfinderMarker(GridPoint Center, int Curve);
