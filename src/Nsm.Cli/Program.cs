return Nsm.Cli.CommandLine.Run(args);
