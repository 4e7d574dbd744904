Console.Error.WriteLine("GPU self-test: not yet implemented.");
return 2;
