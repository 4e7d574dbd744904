Console.WriteLine("Not yet implemented.");
