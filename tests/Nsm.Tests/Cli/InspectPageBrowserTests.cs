using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static Nsm.Tests.Cli.CliHarness;

namespace Nsm.Tests.Cli;

/// <summary>
/// index.html of nsm inspect in a real headless browser (Debian's chromium: apt-get install
/// chromium): it loads with no console errors and every image is displayed. A page with one
/// image broken on purpose shows the check can fail. Slow; needs chromium on the PATH.
/// </summary>
public sealed class InspectPageBrowserTests(InspectCheckpoints runs) : IClassFixture<InspectCheckpoints>
{
    // Injected into a copy of the page: records errors and console.error calls, and after load
    // writes how many images there are and which did not decode into the DOM.
    const string Probe = """
        <script>
        window.__errors = [];
        window.addEventListener('error', e => window.__errors.push(String(e.message || e.type)), true);
        const originalError = console.error;
        console.error = (...a) => { window.__errors.push(a.join(' ')); originalError(...a); };
        window.addEventListener('load', () => {
          const images = [...document.images];
          const broken = images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt);
          const out = document.createElement('pre');
          out.id = 'probe';
          out.textContent = JSON.stringify({ images: images.length, broken, errors: window.__errors });
          document.body.appendChild(out);
        });
        </script>
        """;

    [Fact]
    [Trait("Category", "Slow")]
    public void ThePageLoadsWithoutErrorsAndShowsEveryImage()
    {
        var folder = Path.Combine(runs.Folder("out"), "browser");
        Assert.Equal(0, Run("inspect", "--checkpoint", runs.Nsm, "--example", "0", "--out", folder).Code);
        var page = File.ReadAllText(Path.Combine(folder, "index.html"));
        var pictures = Directory.GetFiles(folder, "*.png").Length;

        var (result, console) = Load(page, folder);
        Assert.Equal(pictures, (int)result["images"]!);
        Assert.Empty(result["broken"]!.AsArray());
        Assert.Empty(result["errors"]!.AsArray());
        Assert.DoesNotContain(console, line => line.Contains("CONSOLE") && line.Contains("rror"));

        // The same check on a page with one image's data replaced by bytes that are no PNG must fail.
        var cut = new Regex("base64,[A-Za-z0-9+/=]*").Replace(page, "base64,AAAAAAAA", 1);
        var (broken, _) = Load(cut, folder);
        Assert.NotEmpty(broken["broken"]!.AsArray());
    }

    private static (JsonNode Result, List<string> Console) Load(string page, string folder)
    {
        var copy = Path.Combine(folder, $"probe-{Guid.NewGuid():N}.html");
        File.WriteAllText(copy, page.Replace("<head>", "<head>" + Probe));
        var start = new ProcessStartInfo("chromium")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList = { "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", "--dump-dom", new Uri(copy).AbsoluteUri },
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException("this test needs Debian's chromium on the PATH (apt-get install chromium)");
        }
        var stderr = process.StandardError.ReadToEndAsync();
        var dom = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "chromium did not finish in 60 s");
        var match = Regex.Match(dom, "<pre id=\"probe\">([^<]*)</pre>");
        Assert.True(match.Success, "the page's load event never ran");
        File.Delete(copy);
        return (JsonNode.Parse(System.Net.WebUtility.HtmlDecode(match.Groups[1].Value))!, stderr.Result.Split('\n').ToList());
    }
}
